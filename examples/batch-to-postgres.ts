/**
 * Queue -> PostgreSQL: ackAfterBatch writes each batch in one transaction, idempotent on messageId.
 *
 * The most common service shape: take messages in batches, write each batch to a database in
 * one transaction, ack the batch. `ackAfterBatch` acks a batch only after its transaction
 * committed (one `basic.ack multiple`), requeues it when the transaction failed, and acks
 * nothing it did not finish when the pipeline stops. A batch can still be written twice: the
 * connection may die after COMMIT and before the ack reaches the broker, which then
 * redelivers it. So the insert is idempotent on the message id (`ON CONFLICT DO NOTHING`):
 * delivered at least once, stored exactly once.
 *
 * Here: `--count` messages (with message ids) are put in a queue, then consumed on a
 * connection with `reconnect` on and stored in a table of their own, `--batch` at a time,
 * each transaction taking at least `--work` ms (a stand-in for real work). Kill the
 * connection meanwhile (its name is printed) and it resumes; the summary shows the table holds
 * every message exactly once and the queue is empty.
 *
 *   npm run example -- batch-to-postgres --count 500 --batch 50
 *   PG_URL=postgres://user@host/db npm run example -- batch-to-postgres
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import {
  delay,
  from,
  lastValueFrom,
  map,
  mergeMap,
  range,
  Subject,
  takeUntil,
  toArray,
  type Observable,
  type ObservableInput,
} from 'rxjs';
import {
  ackAfterBatch,
  connect,
  consume,
  declareQueue,
  Message,
  open,
  openChannel,
  publishTo,
  type Channel,
  type Delivery,
} from 'rx-amqp';

/** What one stored batch did. */
export interface BatchReport {
  size: number;
  /** Rows written; the rest of the batch was in the table already (a redelivery). */
  inserted: number;
  redelivered: number;
}

/** Options of {@link storeBatches}. */
export interface StoreBatchesOptions {
  queue: string;
  /** Writes one batch in one transaction; fails (throws or rejects) to have it requeued. */
  store: (batch: Delivery[]) => ObservableInput<BatchReport>;
  size: number;
  time: number;
  /** Stops consuming when it emits; the batch being collected is still stored (a drain). */
  until: Observable<unknown>;
}

/** The consumer: deliveries of `queue` in batches to `store`, each batch acked after its commit. */
export function storeBatches(channel$: Observable<Channel>, o: StoreBatchesOptions): Observable<BatchReport> {
  return channel$.pipe(consume(o.queue), takeUntil(o.until), ackAfterBatch(o.store, { size: o.size, time: o.time }));
}

/** Creates the table: one row per message id. */
export async function createTable(pool: Pool, table: string): Promise<void> {
  await pool.query(
    `CREATE TABLE IF NOT EXISTS ${table} (message_id text PRIMARY KEY, body text NOT NULL, stored_at timestamptz NOT NULL DEFAULT now())`,
  );
}

/**
 * Inserts a batch in one transaction; rows already there (same message id) are skipped, so a
 * redelivered batch adds nothing. `work` ms of pretend work happen inside the transaction.
 */
export async function insertBatch(pool: Pool, table: string, batch: Delivery[], work = 0): Promise<BatchReport> {
  const ids = batch.map((d) => {
    const messageId = d.properties.messageId;
    if (!messageId) throw new TypeError(`delivery ${d.deliveryTag} has no messageId: it cannot be stored idempotently`);
    return messageId;
  });
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await client.query(
      `INSERT INTO ${table} (message_id, body) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (message_id) DO NOTHING`,
      [ids, batch.map((d) => d.text)],
    );
    if (work > 0) await new Promise((r) => setTimeout(r, work));
    await client.query('COMMIT');
    return {
      size: batch.length,
      inserted: result.rowCount ?? 0,
      redelivered: batch.filter((d) => d.redelivered).length,
    };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

/** The producer: `count` messages with ids, confirmed, on a connection of its own. */
async function publishAll(url: string, queue: string, count: number): Promise<number> {
  await using producer = await open(url);
  const channel = await producer.openChannel();
  await lastValueFrom(channel.queueDeclare(queue));
  const results = await lastValueFrom(
    range(0, count).pipe(
      map((i) => new Message(`reading ${i}`, { messageId: `msg-${i}` })),
      publishTo(channel, '', queue, { confirm: true }),
      toArray(),
    ),
  );
  return results.filter((r) => r.status === 'confirmed').length;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: process.env.AMQP_URL ?? 'amqp://guest:guest@localhost:5672' },
      pg: { type: 'string', default: process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
      count: { type: 'string', default: '500' },
      batch: { type: 'string', default: '50' },
      work: { type: 'string', default: '20' },
      queue: { type: 'string' },
      table: { type: 'string' },
      'keep-table': { type: 'boolean', default: false },
    },
  });
  const id = randomBytes(4).toString('hex');
  const count = Number(values.count);
  const size = Number(values.batch);
  const work = Number(values.work);
  const queue = values.queue ?? `rx-amqp.example.${id}.to-postgres`;
  const table = values.table ?? `rx_amqp_example_${id}`;
  const connectionName = `rx-amqp.example.${id}.batch-to-postgres`;
  if (!/^[a-z_][a-z0-9_]*$/.test(table))
    throw new TypeError(`--table must be a plain lower-case SQL name, not '${table}'`);

  const pool = new Pool({ connectionString: values.pg, max: 2 });
  try {
    await createTable(pool, table);
    console.log(`table ${table} ready`);

    const published = await publishAll(values.url, queue, count);
    console.log(`published ${published} messages to ${queue}`);

    // The consumer: a connection that reconnects by itself; it stops once every message is
    // stored and half a second passed (redeliveries come first after a reconnect).
    let stored = 0;
    let skipped = 0;
    let redelivered = 0;
    let batches = 0;
    const allStored = new Subject<void>();
    console.log(`consuming as connection '${connectionName}'`);
    const channel$ = connect({
      url: values.url,
      connectionName,
      reconnect: { initialDelay: 100, maxDelay: 1000 },
      status: {
        next: (s) => {
          if (s.state === 'disconnected') console.log(`connection lost (${s.error.message}); reconnecting`);
          if (s.state === 'open') console.log('connection open');
        },
      },
    }).pipe(openChannel({ prefetch: size * 2 }), declareQueue(queue));
    const reports = storeBatches(channel$, {
      queue,
      size,
      time: 200,
      until: allStored.pipe(delay(500)),
      store: (batch) => from(insertBatch(pool, table, batch, work)),
    });
    await lastValueFrom(
      reports.pipe(
        mergeMap((r) => {
          batches++;
          stored += r.inserted;
          skipped += r.size - r.inserted;
          redelivered += r.redelivered;
          console.log(
            `batch ${batches}: ${r.size} messages, ${r.inserted} inserted, ${r.size - r.inserted} already stored, ${r.redelivered} redelivered`,
          );
          if (stored >= count) allStored.next();
          return [r];
        }),
      ),
      { defaultValue: undefined },
    );
    console.log(
      `consumer drained: ${batches} batches, ${stored} rows inserted, ${skipped} skipped as already stored, ${redelivered} redeliveries`,
    );

    // Every message is in the table exactly once, and the queue is empty: deleting it
    // if-empty succeeds only then (unacked messages are back in it once the consumer closed).
    const { rows } = await pool.query<{ rows: string; ids: string }>(
      `SELECT count(*) AS rows, count(DISTINCT message_id) AS ids FROM ${table}`,
    );
    console.log(`table ${table}: ${rows[0].rows} rows, ${rows[0].ids} distinct message ids (expected ${count})`);
    await using admin = await open(values.url);
    const ch = await admin.openChannel();
    await lastValueFrom(ch.queueDelete(queue, { ifEmpty: true }));
    console.log(`queue ${queue} was empty: deleted`);
  } finally {
    if (!values['keep-table']) await pool.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await pool.end();
  }
}

if (require.main === module) {
  main().catch((e: Error) => {
    console.error(`batch-to-postgres failed: ${e.message}`);
    process.exitCode = 1;
  });
}

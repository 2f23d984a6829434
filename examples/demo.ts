/**
 * The demo: producer and consumer pipelines together, with progress and a summary.
 *
 * A producer pipeline and a consumer pipeline run together against a broker; progress is
 * printed every 10%, and a summary at the end.
 *
 *   producer:  range(1, N) -> Message -> publishTo(channel, '', queue, { confirm, window })
 *   consumer:  consume(queue) -> ackAfter(check) -> take(N)
 *
 *   npm run demo                              (AMQP_URL=amqp://user:pass@host:5672/vhost to change broker)
 *   npm run demo -- --count 100000 --size 1024 --window 2000 --prefetch 500
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ignoreElements, map, merge, of, range, shareReplay, take, tap } from 'rxjs';
import {
  ackAfter,
  ConnectionLostError,
  ConnectionTimeoutError,
  connect,
  consume,
  declareQueue,
  Message,
  openChannel,
  publishTo,
  redactUrl,
  type Connection,
} from 'rx-amqp';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '20000' },
    size: { type: 'string', default: '256' }, // body bytes
    window: { type: 'string', default: '1000' }, // unconfirmed messages in flight
    prefetch: { type: 'string', default: '1000' },
  },
});
const count = Number(values.count);
const size = Number(values.size);
const url = process.env.AMQP_URL ?? 'amqp://guest:guest@localhost:5672';
const queue = `rx-amqp.demo.${randomBytes(4).toString('hex')}`;

let connected = false;
const stats = { published: 0, confirmed: 0, failed: 0, consumed: 0, acked: 0, outOfOrder: 0 };
const started = Date.now();
const seconds = () => (Date.now() - started) / 1000;
const step = Math.max(1, Math.ceil(count / 10));

function progress(): void {
  const pct = Math.round((stats.acked / count) * 100);
  console.log(
    `[${String(pct).padStart(3)}%] confirmed ${stats.confirmed} | consumed ${stats.consumed}, acked ${stats.acked} | ${seconds().toFixed(2)} s`,
  );
}

// One connection, shared by both pipelines (each opens its own channel on it); closed once
// both are done.
const connection$ = connect({ url, connectionTimeout: 5000, connectionName: 'rx-amqp demo' }).pipe(
  tap((c: Connection) => {
    connected = true;
    console.log(
      `connected to ${c.serverProperties.product} ${c.serverProperties.version} at ${redactUrl(url)}; queue ${queue}`,
    );
  }),
  shareReplay({ bufferSize: 1, refCount: true }),
);
// Both declare the queue (idempotent), so neither depends on the other having started.
const theQueue = declareQueue(queue, { exclusive: true }); // gone when the connection closes

const body = Buffer.alloc(size, 'x');
const producer$ = range(1, count).pipe(
  map((i) => new Message(body, { messageId: String(i) })),
  publishTo(connection$.pipe(openChannel({ confirm: true }), theQueue), '', queue, { window: Number(values.window) }),
  tap((r) => {
    if (r.attempts > 0) stats.published++;
    if (r.status === 'confirmed') stats.confirmed++;
    else stats.failed++;
  }),
);

let expected = 1;
const consumer$ = connection$.pipe(
  openChannel({ prefetch: Number(values.prefetch) }),
  theQueue,
  consume(queue),
  tap(() => stats.consumed++),
  // The "work": check the order. ackAfter acks each delivery once its work completes.
  ackAfter(
    (d) => {
      if (Number(d.properties.messageId) !== expected) stats.outOfOrder++;
      expected = Number(d.properties.messageId) + 1;
      return of(d);
    },
    { concurrency: 100 },
  ),
  tap(() => {
    stats.acked++;
    if (stats.acked % step === 0 || stats.acked === count) progress();
  }),
  take(count),
);

console.log(`rx-amqp demo: ${count} messages of ${size} bytes through one queue, confirms and acks on`);
merge(producer$.pipe(ignoreElements()), consumer$.pipe(ignoreElements())).subscribe({
  complete: () => {
    const s = seconds();
    console.log('summary:');
    console.log(
      `  published ${stats.published}, confirmed ${stats.confirmed}${stats.failed ? `, FAILED ${stats.failed}` : ''}`,
    );
    console.log(
      `  consumed  ${stats.consumed}, acked ${stats.acked}${stats.outOfOrder ? `, out of order ${stats.outOfOrder}` : ', in order'}`,
    );
    console.log(`  elapsed   ${s.toFixed(2)} s, ${Math.round(count / s)} msg/s end to end`);
    if (stats.confirmed !== count || stats.acked !== count) process.exitCode = 1;
  },
  error: (error: Error) => {
    process.exitCode = 1;
    if (!connected && noBroker(error)) {
      console.error(`No AMQP broker answered at ${redactUrl(url)}: ${error.message}`);
      console.error('Start one, for example:');
      console.error('  rabbitmq-server -detached');
      console.error('  docker run -d -p 5672:5672 rabbitmq:3');
      console.error('or point AMQP_URL at one: AMQP_URL=amqp://user:pass@host:5672/vhost npm run demo');
      process.exitCode = 2;
    } else {
      console.error(`demo failed: ${error.name}: ${error.message}`);
    }
  },
});

/** Whether the error means nothing is listening there (rather than, say, a refused login). */
function noBroker(error: Error): boolean {
  if (error instanceof ConnectionTimeoutError) return true;
  const code = (error.cause as { code?: string } | undefined)?.code;
  return (
    error instanceof ConnectionLostError &&
    ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN'].includes(code ?? '')
  );
}

/**
 * Relay with confirms: queue A -> transform -> exchange B, each delivery acked after its message is confirmed.
 *
 * A relay must not lose a message between two brokers' hands: a delivery from A is acked only
 * once the broker confirmed the transformed message it published to B. `ackAfter` runs the
 * publish for each delivery (through `publishTo`, on the same channel Observable the consumer
 * uses) and acks when it completed; a nacked, returned or failed publish (or a transform that
 * throws) nacks the delivery instead: requeued the first time, dead-lettered the second. If the
 * connection dies, publishes not yet confirmed are sent again on the next channel and the
 * deliveries not yet acked come again from A: at least once into B, never lost.
 *
 * Here: `--count` messages are put in A; the relay (a connection with `reconnect` on) turns
 * each into upper case with a `relayed-at` header and publishes it to B, a topic exchange
 * with one queue bound. A second connection reads that queue and counts what arrived. Break
 * the relay's connection meanwhile: the summary shows every message of A reached B, and A is
 * empty (nothing left unacked).
 *
 *   npm run example -- relay-with-confirms --count 2000
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  defer,
  delay,
  firstValueFrom,
  lastValueFrom,
  map,
  of,
  range,
  shareReplay,
  Subject,
  takeUntil,
  tap,
  toArray,
  type Observable,
} from 'rxjs';
import {
  ackAfter,
  ackEach,
  bindQueue,
  connect,
  consume,
  declareExchange,
  declareQueue,
  Message,
  open,
  openChannel,
  publishTo,
  type Channel,
  type Delivery,
  type PublishToResult,
} from 'rx-amqp';

/** Options of {@link relay}. */
export interface RelayOptions {
  /** Queue A. */
  from: string;
  /** Exchange B. */
  to: string;
  /** The message to publish for a delivery (may throw: the delivery is then nacked). */
  transform: (delivery: Delivery) => Message;
  /** Deliveries relayed at once (keep it at or below the prefetch). */
  concurrency: number;
  /** Stops consuming when it emits; what is in flight is still relayed and acked (a drain). */
  until: Observable<unknown>;
  /** Pretend work per delivery before its publish, in ms (default 0). */
  work?: number;
}

/**
 * The relay: consumes A on `channel$` and publishes each transformed delivery to B on the
 * same (shared) channel Observable, with confirms; a delivery is acked once its publish is
 * confirmed. Emits one result per relayed delivery.
 */
export function relay(channel$: Observable<Channel>, o: RelayOptions): Observable<PublishToResult<Message>> {
  return channel$.pipe(
    consume(o.from),
    takeUntil(o.until),
    ackAfter(
      (delivery) =>
        defer(() => of(o.transform(delivery))).pipe(
          delay(o.work ?? 0),
          publishTo(channel$, o.to, delivery.routingKey, { confirm: true }),
          map((result) => {
            // Not confirmed (nacked, returned, failed): fail, so ackAfter nacks the delivery.
            if (!result.ok) throw result.error ?? new Error(`publish ${result.status}`);
            return result;
          }),
        ),
      { concurrency: o.concurrency },
    ),
  );
}

/** The transform of this example: upper case, with the time it was relayed in a header. */
export function shout(delivery: Delivery): Message {
  return new Message(delivery.text.toUpperCase(), {
    messageId: delivery.properties.messageId,
    headers: { ...delivery.properties.headers, 'relayed-at': new Date() },
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: process.env.AMQP_URL ?? 'amqp://guest:guest@localhost:5672' },
      count: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '50' },
      work: { type: 'string', default: '0' },
    },
  });
  const id = randomBytes(4).toString('hex');
  const count = Number(values.count);
  const concurrency = Number(values.concurrency);
  const work = Number(values.work);
  const queueA = `rx-amqp.example.${id}.relay-in`;
  const exchangeB = `rx-amqp.example.${id}.relay-out`;
  const queueB = `rx-amqp.example.${id}.relay-out-queue`;

  // Set up: A with `count` messages; B with a queue bound to it, which outlives connections.
  {
    await using setup = await open(values.url);
    const ch = await setup.openChannel();
    await firstValueFrom(ch.queueDeclare(queueA));
    await firstValueFrom(ch.exchangeDeclare(exchangeB, 'topic'));
    await firstValueFrom(ch.queueDeclare(queueB));
    await firstValueFrom(ch.queueBind(queueB, exchangeB, '#'));
    const results = await lastValueFrom(
      range(0, count).pipe(
        map((i) => new Message(`order ${i}`, { messageId: `order-${i}` })),
        publishTo(ch, '', queueA, { confirm: true }),
        toArray(),
      ),
    );
    console.log(`put ${results.filter((r) => r.status === 'confirmed').length} messages in ${queueA}`);
  }

  // The reader of B: counts the distinct message ids that arrived (at least once).
  const arrived = new Map<string, number>();
  const allArrived = new Subject<void>();
  const reader = connect({ url: values.url, reconnect: { initialDelay: 100, maxDelay: 1000 } })
    .pipe(
      openChannel({ prefetch: 500 }),
      declareQueue(queueB),
      bindQueue(queueB, exchangeB, '#'),
      consume(queueB),
      ackEach(),
      tap((d) => {
        const key = d.properties.messageId ?? '?';
        arrived.set(key, (arrived.get(key) ?? 0) + 1);
        if (arrived.size === count) allArrived.next();
      }),
      takeUntil(allArrived.pipe(delay(300))),
    )
    .subscribe();

  // The relay: one shared channel (confirm mode) for consuming A and publishing to B.
  const connectionName = `rx-amqp.example.${id}.relay`;
  console.log(`relaying as connection '${connectionName}'`);
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
  }).pipe(
    openChannel({ prefetch: concurrency, confirm: true }),
    declareQueue(queueA),
    declareExchange(exchangeB, 'topic'),
    shareReplay({ bufferSize: 1, refCount: true }),
  );
  let relayed = 0;
  let republished = 0;
  await lastValueFrom(
    relay(channel$, {
      from: queueA,
      to: exchangeB,
      transform: shout,
      concurrency,
      // Stop once B has it all and A stayed quiet for half a second.
      until: allArrived.pipe(delay(500)),
      work,
    }).pipe(
      tap((r) => {
        relayed++;
        if (r.attempts > 1) republished++;
        if (relayed % Math.max(1, Math.floor(count / 10)) === 0) console.log(`relayed ${relayed}`);
      }),
    ),
    { defaultValue: undefined },
  );
  reader.unsubscribe();
  const duplicates = [...arrived.values()].reduce((n, c) => n + c - 1, 0);
  console.log(`relay drained: ${relayed} relayed and acked, ${republished} republished after a channel loss`);
  console.log(`B received ${arrived.size} of ${count} distinct messages (${duplicates} duplicates)`);

  // Nothing is left unacked in A: deleting it if-empty succeeds only then.
  await using admin = await open(values.url);
  const ch = await admin.openChannel();
  await firstValueFrom(ch.queueDelete(queueA, { ifEmpty: true }));
  console.log(`queue ${queueA} was empty: deleted`);
  await firstValueFrom(ch.queueDelete(queueB));
  await firstValueFrom(ch.exchangeDelete(exchangeB));
}

if (require.main === module) {
  main().catch((e: Error) => {
    console.error(`relay-with-confirms failed: ${e.message}`);
    process.exitCode = 1;
  });
}

/**
 * RabbitMQ tutorial 7: publisher confirms (publishTo with a confirm window).
 *
 * The broker acknowledges each published message once it has taken responsibility for it. The
 * tutorial compares three strategies: wait for each confirm, wait per batch, handle confirms
 * asynchronously. https://www.rabbitmq.com/tutorials/tutorial-seven-java
 *
 * `publishTo(channel, exchange, key, { confirm: true, window })` does all three, the window
 * being the number of messages in flight (published, not yet confirmed): 1 is "one at a time",
 * 100 a sliding batch, 1000 fully asynchronous. It emits one result per input — confirmed,
 * nacked, returned (mandatory and unroutable) or failed — in input order.
 *
 *   npm run example -- tutorial-7-publisher-confirms [--count 1000]
 */
import { parseArgs } from 'node:util';
import { concat, defer, from, map, range, reduce, switchMap, take, tap, toArray } from 'rxjs';
import { connect, declareQueue, Message, openChannel, publishTo, type Channel, type PublishStatus } from 'rx-amqp';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.AMQP_URL },
    count: { type: 'string', default: '1000' },
  },
});
const count = Number(values.count);

/** Publishes `count` messages with at most `window` unconfirmed, and tallies the results. */
function strategy(channel: Channel, name: string, window: number) {
  return defer(() => {
    const started = performance.now();
    return range(1, count).pipe(
      map((i) => new Message(`message ${i}`)),
      publishTo(channel, '', channel.lastQueue, { confirm: true, window }),
      reduce(
        (tally, r) => ({ ...tally, [r.status]: (tally[r.status] ?? 0) + 1 }),
        {} as Partial<Record<PublishStatus, number>>,
      ),
      map((tally) => {
        const ms = performance.now() - started;
        return `${name.padEnd(26)} ${count} messages in ${ms.toFixed(0).padStart(5)} ms (${Math.round((count / ms) * 1000)} msg/s): ${JSON.stringify(tally)}`;
      }),
    );
  });
}

/** A mandatory message nobody can route comes back: status 'returned', not an exception. */
function unroutable(channel: Channel) {
  return from(['to nowhere']).pipe(
    publishTo(channel, '', 'no-such-queue-anywhere', { confirm: true, mandatory: true }),
    map((r) => `${'mandatory, unroutable'.padEnd(26)} status '${r.status}' (${r.error?.message})`),
  );
}

connect(values.url)
  .pipe(
    openChannel({ confirm: true }),
    declareQueue('', { exclusive: true }), // where the messages go; deleted with the connection
    switchMap((channel) =>
      concat(
        strategy(channel, 'one at a time (window 1)', 1),
        strategy(channel, 'in batches (window 100)', 100),
        strategy(channel, 'async (window 1000)', 1000),
        unroutable(channel),
        // Everything confirmed is in the queue:
        defer(() => channel.queueDeclare(channel.lastQueue, { passive: true })).pipe(
          map((ok) => `queue holds ${ok.messageCount} messages`),
        ),
      ).pipe(
        tap((line) => console.log(line)),
        toArray(),
      ),
    ),
    take(1), // all reported: unsubscribe, which closes channel and connection
  )
  .subscribe({
    next: (lines) => console.log(`done: ${lines.length} reports`),
    error: (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  });

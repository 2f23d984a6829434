/**
 * The default exchanges: '', amq.direct, amq.fanout and amq.topic.
 *
 * Every broker has them: the default exchange '' (routes by queue name), amq.direct (exact
 * routing key), amq.fanout (everything, key ignored) and amq.topic (patterns: `*` one word, `#`
 * zero or more words).
 *
 * One server-named queue is bound to all three amq.* exchanges; six messages are published as
 * `mandatory`, with publisher confirms, so unroutable ones come back as returns.
 *
 *   npm run example -- default-exchanges
 */
import { randomBytes } from 'node:crypto';
import { catchError, concatMap, filter, forkJoin, from, map, of, take, tap, toArray } from 'rxjs';
import { bindQueue, connect, declareQueue, Message, MessageReturnedError, openChannel, type Channel } from 'rx-amqp';

const url = process.env.AMQP_URL;
// amq.* exchanges are shared by every client of the broker: keys carry a per-run prefix, and
// messages a `run` header, so that concurrent runs don't see each other's messages.
const run = randomBytes(4).toString('hex');

function sendAndReceive(channel: Channel) {
  const queue = channel.lastQueue;
  const sends: Array<[exchange: string, routingKey: string]> = [
    ['', queue], // default exchange: the routing key is the queue name
    ['amq.direct', `${run}.direct`], // bound with exactly this key
    ['amq.direct', `${run}.other`], // no binding: returned
    ['amq.fanout', 'any-key-at-all'], // fanout ignores the key
    ['amq.topic', `${run}.stock.nyse.ibm`], // matches `${run}.stock.#`
    ['amq.topic', `${run}.weather.paris`], // matches nothing: returned
  ];

  const published$ = from(sends).pipe(
    concatMap(([exchange, routingKey]) =>
      channel
        .publish(
          new Message(`via '${exchange || '(default)'}' key '${routingKey}'`, { headers: { run } }),
          exchange,
          routingKey,
          { mandatory: true },
        )
        .pipe(
          map(() => `published to '${exchange || '(default)'}' with key '${routingKey}': routed and confirmed`),
          catchError((e: unknown) => {
            if (e instanceof MessageReturnedError)
              return of(
                `published to '${exchange}' with key '${routingKey}': returned (${e.replyCode} ${e.replyText})`,
              );
            throw e;
          }),
        ),
    ),
    tap((line) => console.log(line)),
    toArray(),
  );

  const received$ = channel.basicConsume(queue, { noAck: true }).pipe(
    filter((d) => d.headers?.run === run), // ignore other runs' amq.fanout traffic
    tap((d) => console.log(`  received from exchange '${d.exchange || '(default)'}': ${d.text}`)),
    take(4),
    toArray(),
  );

  return forkJoin({ published: published$, received: received$ });
}

connect(url)
  .pipe(
    openChannel({ confirm: true }),
    declareQueue('', { exclusive: true }),
    bindQueue('', 'amq.direct', `${run}.direct`),
    bindQueue('', 'amq.fanout'),
    bindQueue('', 'amq.topic', `${run}.stock.#`),
    concatMap(sendAndReceive),
    take(1), // one result, then unsubscribe: channel and connection close
  )
  .subscribe({
    next: ({ published, received }) =>
      console.log(
        `done: ${published.length} published, ${received.length} received, ${published.length - received.length} returned`,
      ),
    error: (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  });

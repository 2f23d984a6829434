/**
 * RabbitMQ tutorial 3: publish/subscribe (fanout logs).
 *
 * emit_log.js publishes log lines to the fanout exchange 'logs'; every receive_logs.js gets all
 * of them through a queue of its own — a server-named, exclusive queue bound to the exchange.
 * https://www.rabbitmq.com/tutorials/tutorial-three-javascript
 *
 * Here: `--receivers` receivers (default 2), each on its own connection, and one emitter that
 * starts once they are bound and sends `--count` lines. Each receiver stops after receiving
 * them all.
 *
 *   npm run example -- tutorial-3-publish-subscribe --count 3
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ignoreElements, last, map, merge, range, ReplaySubject, switchMap, take, tap } from 'rxjs';
import { bindQueue, connect, consume, declareExchange, declareQueue, openChannel, publishTo } from 'rx-amqp';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.AMQP_URL },
    count: { type: 'string', default: '3' },
    receivers: { type: 'string', default: '2' },
  },
});
const count = Number(values.count);
const receiverCount = Number(values.receivers);
const exchange = `logs.${randomBytes(4).toString('hex')}`; // the tutorial's 'logs', made unique
const logs = declareExchange(exchange, 'fanout', { autoDelete: true }); // gone once nothing is bound

const bound = new ReplaySubject<void>(); // one next() per receiver ready

// receive_logs.js
const receiver = (name: string) =>
  connect(values.url).pipe(
    openChannel(),
    logs,
    declareQueue('', { exclusive: true }), // a fresh, empty queue of our own, named by the server
    bindQueue('', exchange), // fanout: no routing key needed
    tap((channel) => {
      console.log(` [${name}] Waiting for logs in ${channel.lastQueue}`);
      bound.next();
    }),
    consume('', { noAck: true }),
    take(count),
    tap((msg) => console.log(` [${name}] ${msg.text}`)),
  );

// emit_log.js: once every receiver is bound (a fanout drops messages nobody is bound for).
const emitter$ = bound.pipe(
  take(receiverCount),
  last(),
  switchMap(() =>
    range(1, count).pipe(
      map((i) => `info: Hello World! #${i}`),
      publishTo(connect(values.url).pipe(openChannel({ confirm: true }), logs), exchange, ''),
    ),
  ),
  tap((r) => console.log(` [x] Sent '${r.message?.text}'`)),
);

const receivers = Array.from({ length: receiverCount }, (_, i) => receiver(`receiver ${i + 1}`));
let received = 0;
merge(emitter$.pipe(ignoreElements()), ...receivers).subscribe({
  next: () => received++,
  complete: () => console.log(`done: ${count} sent, ${received} received by ${receiverCount} receivers`),
  error: (e) => {
    console.error(e);
    process.exitCode = 1;
  },
});

/**
 * RabbitMQ tutorial 5: topics (topic logs).
 *
 * emit_log_topic.js publishes to the topic exchange 'topic_logs' with routing keys
 * `<facility>.<severity>`; receivers bind with patterns, where `*` stands for exactly one word
 * and `#` for zero or more. https://www.rabbitmq.com/tutorials/tutorial-five-javascript
 *
 * Here: three receivers bound with `#` (everything), `kern.*` and `*.critical`, and an emitter
 * sending a few keys. What each receiver should get is computed with the same rules.
 *
 *   npm run example -- tutorial-5-topics
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { concat, from, ignoreElements, last, merge, ReplaySubject, switchMap, take, tap } from 'rxjs';
import { connect, consume, declareExchange, declareQueue, Message, openChannel, perform, publishTo } from 'rx-amqp';

const { values } = parseArgs({ options: { url: { type: 'string', default: process.env.AMQP_URL } } });
const exchange = `topic_logs.${randomBytes(4).toString('hex')}`;
const topicLogs = declareExchange(exchange, 'topic', { autoDelete: true });

const logLines: Array<[routingKey: string, text: string]> = [
  ['kern.critical', 'A critical kernel error'],
  ['kern.info', 'Kernel booted'],
  ['cron.critical', 'Cron is on fire'],
  ['auth.warning', 'Failed login'],
  ['anonymous.info', 'Hello'],
];

const receivers: Array<[name: string, patterns: string[]]> = [
  ['all', ['#']],
  ['kernel', ['kern.*']],
  ['critical', ['*.critical']],
];

/** Topic matching as the broker does it: `*` one word, `#` zero or more words. */
function matches(pattern: string, key: string): boolean {
  const match = (p: string[], k: string[]): boolean =>
    p.length === 0
      ? k.length === 0
      : p[0] === '#'
        ? match(p.slice(1), k) || (k.length > 0 && match(p, k.slice(1)))
        : k.length > 0 && (p[0] === '*' || p[0] === k[0]) && match(p.slice(1), k.slice(1));
  return match(pattern.split('.'), key.split('.'));
}

const bound = new ReplaySubject<void>();

// receive_logs_topic.js: one binding per pattern.
const receiver = (name: string, patterns: string[]) => {
  const expected = logLines.filter(([key]) => patterns.some((p) => matches(p, key))).length;
  return connect(values.url).pipe(
    openChannel(),
    topicLogs,
    declareQueue('', { exclusive: true }),
    perform((channel) => concat(...patterns.map((pattern) => channel.queueBind(channel.lastQueue, exchange, pattern)))),
    tap(() => {
      console.log(` [${name}] Waiting for ${patterns.join(' ')} (expecting ${expected})`);
      bound.next();
    }),
    consume('', { noAck: true }),
    take(expected),
    tap((msg) => console.log(` [${name}] ${msg.routingKey}: '${msg.text}'`)),
  );
};

// emit_log_topic.js
const emitter$ = bound.pipe(
  take(receivers.length),
  last(),
  switchMap(() =>
    from(logLines).pipe(
      publishTo(connect(values.url).pipe(openChannel({ confirm: true }), topicLogs), exchange, ([key]) => key, {
        toMessage: ([, text]) => new Message(text),
      }),
    ),
  ),
  tap((r) => console.log(` [x] Sent ${r.routingKey}: '${r.message?.text}'`)),
);

let received = 0;
merge(emitter$.pipe(ignoreElements()), ...receivers.map(([name, patterns]) => receiver(name, patterns))).subscribe({
  next: () => received++,
  complete: () => console.log(`done: ${logLines.length} sent, ${received} received`),
  error: (e) => {
    console.error(e);
    process.exitCode = 1;
  },
});

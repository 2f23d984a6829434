/**
 * RabbitMQ tutorial 4: routing (direct logs by severity).
 *
 * emit_log_direct.js publishes log lines to the direct exchange 'direct_logs' with the severity
 * as routing key; each receive_logs_direct.js binds its queue once per severity it wants.
 * https://www.rabbitmq.com/tutorials/tutorial-four-javascript
 *
 * Here: one receiver for `error` only (the tutorial's "save errors to disk"), one for `info
 * warning error` (the console), and an emitter sending a mix, `debug` included, which nobody is
 * bound for.
 *
 *   npm run example -- tutorial-4-routing
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { concat, from, ignoreElements, last, merge, ReplaySubject, switchMap, take, tap } from 'rxjs';
import { connect, consume, declareExchange, declareQueue, Message, openChannel, perform, publishTo } from 'rx-amqp';

const { values } = parseArgs({ options: { url: { type: 'string', default: process.env.AMQP_URL } } });
const exchange = `direct_logs.${randomBytes(4).toString('hex')}`;
const directLogs = declareExchange(exchange, 'direct', { autoDelete: true });

const logLines: Array<[severity: string, text: string]> = [
  ['info', 'Starting up'],
  ['warning', 'Disk 80% full'],
  ['error', 'Run. Run. Or it will explode.'],
  ['debug', 'x = 42'],
  ['info', 'Request served'],
  ['error', 'Disk full'],
];

const receivers: Array<[name: string, severities: string[]]> = [
  ['errors-to-disk', ['error']],
  ['console', ['info', 'warning', 'error']],
];

const bound = new ReplaySubject<void>();

// receive_logs_direct.js: one queue, one binding per severity.
const receiver = (name: string, severities: string[]) => {
  const expected = logLines.filter(([severity]) => severities.includes(severity)).length;
  return connect(values.url).pipe(
    openChannel(),
    directLogs,
    declareQueue('', { exclusive: true }),
    // perform(): any action on the channel, then pass it on. Here: the bindings, in turn.
    perform((channel) =>
      concat(...severities.map((severity) => channel.queueBind(channel.lastQueue, exchange, severity))),
    ),
    tap(() => {
      console.log(` [${name}] Waiting for ${severities.join(', ')} logs`);
      bound.next();
    }),
    consume('', { noAck: true }),
    take(expected),
    tap((msg) => console.log(` [${name}] ${msg.routingKey}: '${msg.text}'`)),
  );
};

// emit_log_direct.js: routing key = severity.
const emitter$ = bound.pipe(
  take(receivers.length),
  last(),
  switchMap(() =>
    from(logLines).pipe(
      publishTo(
        connect(values.url).pipe(openChannel({ confirm: true }), directLogs),
        exchange,
        ([severity]) => severity,
        {
          toMessage: ([, text]) => new Message(text),
        },
      ),
    ),
  ),
  tap((r) => console.log(` [x] Sent ${r.routingKey}: '${r.message?.text}'`)),
);

let received = 0;
merge(emitter$.pipe(ignoreElements()), ...receivers.map(([name, severities]) => receiver(name, severities))).subscribe({
  next: () => received++,
  complete: () => console.log(`done: ${logLines.length} sent, ${received} received`),
  error: (e) => {
    console.error(e);
    process.exitCode = 1;
  },
});

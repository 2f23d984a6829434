/**
 * py-amqplib's demo_receive: print messages from a fanout exchange until "quit".
 *
 * Binds a server-named queue to the fanout exchange 'myfan' and prints every message
 * (properties, delivery info, body) until one whose body is "quit" arrives; then cancels the
 * consumer and closes cleanly.
 *
 *   npm run example -- demo-receive                 (then, elsewhere: demo-send hello; demo-send quit)
 *   npm run example -- demo-receive --timeout 30    (give up after 30 s without "quit")
 */
import { parseArgs } from 'node:util';
import { map, NEVER, takeUntil, takeWhile, tap, timer } from 'rxjs';
import {
  accessRequest,
  ackEach,
  bindQueue,
  connect,
  consume,
  declareExchange,
  declareQueue,
  openChannel,
} from 'rx-amqp';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.AMQP_URL },
    exchange: { type: 'string', default: 'myfan' },
    timeout: { type: 'string' }, // seconds; default: wait forever
  },
});
const exchange = values.exchange!;
const giveUp = values.timeout ? timer(Number(values.timeout) * 1000) : NEVER;
let received = 0;

connect(values.url)
  .pipe(
    openChannel(),
    accessRequest('/data', { active: true, read: true }),
    declareExchange(exchange, 'fanout', { autoDelete: true }),
    declareQueue('', { exclusive: true }),
    bindQueue('', exchange),
    tap((channel) =>
      console.log(`waiting for messages on '${exchange}' (queue ${channel.lastQueue}); send "quit" to stop`),
    ),
    consume(''),
    ackEach(),
    tap((msg) => {
      received++;
      for (const [key, value] of Object.entries(msg.properties)) console.log(`${key}: ${JSON.stringify(value)}`);
      for (const key of ['consumerTag', 'deliveryTag', 'redelivered', 'exchange', 'routingKey'] as const)
        console.log(`> ${key}: ${msg[key]}`);
      console.log('');
      console.log(msg.text);
      console.log('-------');
    }),
    map((msg) => msg.text),
    takeWhile((text) => text !== 'quit'), // "quit": complete, which cancels the consumer and closes
    takeUntil(giveUp),
  )
  .subscribe({
    complete: () => console.log(`stopped cleanly after ${received} messages`),
    error: (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  });

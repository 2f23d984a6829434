/**
 * RabbitMQ tutorial 1: Hello World.
 *
 * A producer sends one message to a queue, a consumer receives it and prints it.
 * https://www.rabbitmq.com/tutorials/tutorial-one-javascript
 *
 * Both halves run here, each on its own connection as the tutorial's send.js and receive.js do.
 * `--role send` or `--role receive` runs just one (the queue is then 'hello', as in the
 * tutorial, unless `--queue` says otherwise).
 *
 *   npm run example -- tutorial-1-hello-world
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { EMPTY, map, merge, switchMap, take, tap } from 'rxjs';
import { connect, consume, declareQueue, openChannel } from 'rx-amqp';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.AMQP_URL },
    role: { type: 'string', default: 'both' }, // send | receive | both
    queue: { type: 'string' },
  },
});
const role = values.role!;
// Both halves in one run: a queue of its own. Otherwise the tutorial's 'hello'.
const queue = values.queue ?? (role === 'both' ? `hello.${randomBytes(4).toString('hex')}` : 'hello');

// send.js: declare the queue (idempotent), send 'Hello World!' to it via the default exchange.
const send$ = connect(values.url).pipe(
  openChannel(),
  declareQueue(queue, { autoDelete: role === 'both' }),
  switchMap((channel) => channel.publish('Hello World!', '', queue)),
  take(1), // published: unsubscribe, closing channel and connection (after the write is flushed)
  tap(() => console.log(" [x] Sent 'Hello World!'")),
);

// receive.js: declare the same queue, consume, print. Here: one message, then stop.
const receive$ = connect(values.url).pipe(
  openChannel(),
  declareQueue(queue, { autoDelete: role === 'both' }), // auto-delete: gone once we stop consuming
  tap(() => console.log(` [*] Waiting for messages in ${queue}.`)),
  consume(queue, { noAck: true }),
  take(1),
  map((msg) => console.log(` [x] Received '${msg.text}'`)),
);

merge(role === 'send' ? EMPTY : receive$, role === 'receive' ? EMPTY : send$).subscribe({
  complete: () => console.log('done'),
  error: (e) => {
    console.error(e);
    process.exitCode = 1;
  },
});

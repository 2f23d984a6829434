/**
 * A server-named queue bound to amq.fanout: how '' and channel.lastQueue carry the name.
 *
 * py-amqplib: `qname, _, _ = ch.queue_declare(); ch.queue_bind(qname, 'amq.fanout')`.
 *
 * How the server's name flows: `declareQueue('')` asks the broker to name the queue; the
 * channel remembers the answer as `channel.lastQueue`, and the operators after it take `''` to
 * mean "the queue last declared on this channel". So the pipeline never has to carry the name,
 * and after a reconnect every new channel gets (and uses) its own newly named queue.
 *
 *   npm run example -- server-named-queue [--count 3]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { filter, map, take, tap } from 'rxjs';
import { bindQueue, connect, consume, declareQueue, Message, openChannel } from 'rx-amqp';

const url = process.env.AMQP_URL;
const { values } = parseArgs({ options: { count: { type: 'string', default: '3' } } });
const count = Number(values.count);
// amq.fanout is shared by every client of the broker; a `run` header tells our messages apart.
const run = randomBytes(4).toString('hex');

connect(url)
  .pipe(
    openChannel(),
    declareQueue('', { exclusive: true }), // '' : the server picks the name
    tap((channel) => console.log(`the server named the queue '${channel.lastQueue}' (channel.lastQueue)`)),
    bindQueue('', 'amq.fanout'), // '' : that queue
    tap((channel) => {
      console.log(`bound it to amq.fanout; publishing ${count} messages there`);
      for (let i = 1; i <= count; i++)
        channel.basicPublish(new Message(`fanout message ${i}`, { headers: { run } }), 'amq.fanout', '');
    }),
    consume('', { noAck: true }), // '' : that queue again
    filter((d) => d.headers?.run === run),
    take(count),
    map((d, i) => `received ${i + 1}/${count}: '${d.text}' from ${d.exchange} via consumer ${d.consumerTag}`),
  )
  .subscribe({
    next: (line) => console.log(line),
    complete: () => console.log('done: unsubscribed, so the exclusive queue goes with the connection'),
    error: (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  });

/**
 * py-amqplib's demo_send: send the command line as one message to a fanout exchange.
 *
 * Sends one message, given on the command line, to the fanout exchange 'myfan' (declared
 * auto-delete, as demo_send.py did), then closes.
 *
 *   npm run example -- demo-send hello world
 *   npm run example -- demo-send --exchange myfan quit
 *
 * Start `demo-receive` first: a fanout exchange drops messages no queue is bound for (this
 * sender publishes `mandatory`, so it tells you when that happens).
 */
import { parseArgs } from 'node:util';
import { lastValueFrom, switchMap, take } from 'rxjs';
import { accessRequest, connect, declareExchange, Message, openChannel } from 'rx-amqp';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string', default: process.env.AMQP_URL }, // e.g. amqp://guest:guest@localhost:5672
    exchange: { type: 'string', default: 'myfan' },
  },
});

if (positionals.length === 0) {
  console.error('usage: demo-send [--url amqp://...] [--exchange myfan] message...\nexample: demo-send hello world');
  process.exit(1);
}
const body = positionals.join(' ');
const exchange = values.exchange!;

async function main(): Promise<void> {
  const result = await lastValueFrom(
    connect(values.url).pipe(
      openChannel({ confirm: true }),
      accessRequest('/data', { active: true, write: true }), // as the original did (harmless in 0-9-1)
      declareExchange(exchange, 'fanout', { autoDelete: true }),
      switchMap((channel) =>
        channel.publish(
          new Message(body, { contentType: 'text/plain', headers: { foo: 7, bar: 'baz' } }),
          exchange,
          '',
          { mandatory: true },
        ),
      ),
      take(1), // confirmed: unsubscribe, which closes the channel and the connection
    ),
  );
  console.log(`sent '${body}' to exchange '${exchange}' (confirmed: ${result.confirmed})`);
}

main().catch((error: Error) => {
  if (error.name === 'MessageReturnedError')
    console.error(`'${body}' was not delivered: no queue is bound to '${exchange}' (is demo-receive running?)`);
  else console.error(error);
  process.exitCode = 1;
});

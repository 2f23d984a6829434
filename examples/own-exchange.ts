/**
 * Declaring, using and deleting your own exchange; passive declares.
 *
 * py-amqplib: `ch.exchange_declare('myfan', 'fanout', auto_delete=True)`. Here: declare an
 * exchange, bind a queue to it, publish, consume, and delete what was declared. Also: a passive
 * declare to test whether an exchange exists — a missing one is a 404 that closes only that
 * channel, not the connection.
 *
 *   npm run example -- own-exchange [--type direct|fanout|topic]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { concat, concatMap, count, firstValueFrom, last, map, switchMap, take, tap } from 'rxjs';
import { bindQueue, ChannelClosedError, connect, declareExchange, declareQueue, open, openChannel } from 'rx-amqp';

const url = process.env.AMQP_URL;
const { values } = parseArgs({ options: { type: { type: 'string', default: 'direct' } } });
const type = values.type!;

const run = randomBytes(4).toString('hex');
const exchange = `rx-amqp.example.${run}.orders`; // unique, so runs never collide
const queue = `rx-amqp.example.${run}.order-log`;
const routingKey = 'order.created';

async function main(): Promise<void> {
  const received = await firstValueFrom(
    connect(url).pipe(
      openChannel(),
      // Topology first: each operator performs its method, then passes the channel on.
      declareExchange(exchange, type, { durable: false, autoDelete: true }),
      declareQueue(queue, { durable: false, autoDelete: true }),
      bindQueue(queue, exchange, routingKey),
      tap((channel) => {
        console.log(`declared ${type} exchange '${exchange}' and bound queue '${queue}' with key '${routingKey}'`);
        for (const id of [1, 2, 3]) channel.basicPublish(`order #${id}`, exchange, routingKey);
        console.log('published 3 messages to the exchange');
      }),
      // Consume inside switchMap, so that take(3) ends the consumer but not the channel,
      // which is still needed for the clean-up.
      switchMap((channel) =>
        channel.basicConsume(queue).pipe(
          tap((d) => {
            console.log(`  received '${d.text}' (exchange '${d.exchange}', key '${d.routingKey}')`);
            d.ack();
          }),
          take(3),
          count(),
          // Clean up: delete the queue, then the exchange.
          concatMap((n) =>
            concat(channel.queueDelete(queue), channel.exchangeDelete(exchange)).pipe(
              last(),
              map(() => n),
            ),
          ),
        ),
      ),
    ),
  );
  console.log(`deleted queue and exchange after ${received} messages`);

  // Passive declare: "does it exist?" without creating it.
  await using connection = await open(url);
  await using channel = await connection.openChannel();
  await firstValueFrom(channel.exchangeDeclare('amq.topic', 'topic', { passive: true }), { defaultValue: undefined });
  console.log(`passive declare of 'amq.topic': exists`);
  try {
    await firstValueFrom(channel.exchangeDeclare(exchange, type, { passive: true }), { defaultValue: undefined });
  } catch (e) {
    if (!(e instanceof ChannelClosedError)) throw e;
    console.log(
      `passive declare of the deleted exchange: ${e.replyCode} ${e.replyText.split(' - ')[0]}; channel ${e.channel} closed`,
    );
  }
  console.log(`the connection lives on: open? ${connection.isOpen}`);
  console.log('done');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

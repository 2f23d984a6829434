/** amqplib driver (promise API): consume / ack, publish + 'drain', confirm channel callbacks. */
import { once } from 'node:events';
import * as amqplib from 'amqplib';
import type { ConsumeParams, Driver, PipelineParams, PublishParams } from '../cases';

type Connection = amqplib.ChannelModel;

/** channel.consume; acks each message at once unless noAck; resolves after `count`. */
async function consumeCount(channel: amqplib.Channel, queue: string, count: number, noAck: boolean): Promise<void> {
  let n = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const { consumerTag } = await channel.consume(
    queue,
    (msg) => {
      if (!msg) return;
      if (!noAck) channel.ack(msg);
      if (++n === count) done();
    },
    { noAck },
  );
  await finished;
  await channel.cancel(consumerTag);
}

/** channel.publish in a loop; waits for 'drain' when it returns false. */
async function publishAll(channel: amqplib.Channel, body: Buffer, routingKey: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    if (!channel.publish('', routingKey, body)) await once(channel, 'drain');
  }
}

/** Confirm channel with at most `window` messages unconfirmed. */
function publishConfirmed(
  channel: amqplib.ConfirmChannel,
  body: Buffer,
  routingKey: string,
  count: number,
  window: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let confirmed = 0;
    const onConfirm = (err: unknown) => {
      if (err) return reject(err);
      if (++confirmed === count) resolve();
      else pump();
    };
    const pump = () => {
      while (sent - confirmed < window && sent < count) {
        sent++;
        channel.publish('', routingKey, body, {}, onConfirm);
      }
    };
    pump();
  });
}

export async function consume(connection: Connection, { queue, count, noAck }: ConsumeParams): Promise<void> {
  const channel = await connection.createChannel();
  await consumeCount(channel, queue, count, noAck);
  await channel.close();
}

export async function publish(
  connection: Connection,
  { routingKey, count, body, window }: PublishParams,
): Promise<void> {
  if (window > 0) {
    const channel = await connection.createConfirmChannel();
    await publishConfirmed(channel, body, routingKey, count, window);
    await channel.close();
  } else {
    const channel = await connection.createChannel();
    await publishAll(channel, body, routingKey, count);
    const { messageCount } = await channel.checkQueue(routingKey);
    if (messageCount !== count) throw new Error(`broker read ${messageCount} publishes, expected ${count}`);
    await channel.close();
  }
}

export async function pipeline(connection: Connection, { count, body, prefetch }: PipelineParams): Promise<void> {
  const consumer = await connection.createChannel();
  const publisher = await connection.createChannel();
  const { queue } = await consumer.assertQueue('', { exclusive: true, autoDelete: true });
  await consumer.prefetch(prefetch);
  const consumed = consumeCount(consumer, queue, count, false);
  await publishAll(publisher, body, queue, count);
  await consumed;
  await Promise.all([consumer.close(), publisher.close()]);
}

export const amqplibDriver: Driver<Connection> = {
  connect: (url) => amqplib.connect(url),
  close: (connection) => connection.close(),
  consume,
  publish,
  pipeline,
};

/**
 * @cloudamqp/amqp-client driver: basicConsume with a callback, msg.ack(); basicPublish, whose
 * Promise settles once the message is written to the socket (no confirms) or once the broker
 * confirmed it (after confirmSelect). That Promise is the library's only backpressure signal,
 * so publishing keeps at most WRITE_WINDOW (no confirms) or `window` (confirms) unsettled.
 * (A loop that only watches `socket.writableNeedDrain` never yields while the kernel accepts
 * every write, and the library then allocates a fresh frame_max buffer per message: 8 KiB
 * each, hundreds of MB for this benchmark.)
 */
import { AMQPClient, type AMQPChannel } from '@cloudamqp/amqp-client';
import type { ConsumeParams, Driver, PipelineParams, PublishParams } from '../cases';

/** basicConsume; acks each message at once unless noAck; resolves after `count`. */
async function consumeCount(channel: AMQPChannel, queue: string, count: number, noAck: boolean): Promise<void> {
  let n = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const consumer = await channel.basicConsume(queue, { noAck }, (msg) => {
    if (!noAck) void msg.ack();
    if (++n === count) done();
  });
  await finished;
  await consumer.cancel();
}

/** Unsettled publishes allowed without confirms (the same bound as the confirm cases). */
const WRITE_WINDOW = 1000;

/** basicPublish with at most `window` Promises unsettled (unwritten, or unconfirmed in confirm mode). */
function publishWindowed(
  channel: AMQPChannel,
  body: Buffer,
  routingKey: string,
  count: number,
  window: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let confirmed = 0;
    const onConfirm = () => {
      if (++confirmed === count) resolve();
      else pump();
    };
    const pump = () => {
      while (sent - confirmed < window && sent < count) {
        sent++;
        channel.basicPublish('', routingKey, body).then(onConfirm, reject);
      }
    };
    pump();
  });
}

export async function consume(client: AMQPClient, { queue, count, noAck }: ConsumeParams): Promise<void> {
  const channel = await client.channel();
  await consumeCount(channel, queue, count, noAck);
  await channel.close();
}

export async function publish(client: AMQPClient, { routingKey, count, body, window }: PublishParams): Promise<void> {
  const channel = await client.channel();
  if (window > 0) {
    await channel.confirmSelect();
    await publishWindowed(channel, body, routingKey, count, window);
  } else {
    await publishWindowed(channel, body, routingKey, count, WRITE_WINDOW);
    const { messageCount } = await channel.queueDeclare(routingKey, { passive: true });
    if (messageCount !== count) throw new Error(`broker read ${messageCount} publishes, expected ${count}`);
  }
  await channel.close();
}

export async function pipeline(client: AMQPClient, { count, body, prefetch }: PipelineParams): Promise<void> {
  const consumer = await client.channel();
  const publisher = await client.channel();
  const { name: queue } = await consumer.queueDeclare('', { exclusive: true, autoDelete: true });
  await consumer.prefetch(prefetch);
  const consumed = consumeCount(consumer, queue, count, false);
  await publishWindowed(publisher, body, queue, count, WRITE_WINDOW);
  await consumed;
  await Promise.all([consumer.close(), publisher.close()]);
}

export const amqpClientDriver: Driver<AMQPClient> = {
  async connect(url) {
    const client = new AMQPClient(url);
    await client.connect();
    return client;
  },
  close: (client) => client.close(),
  consume,
  publish,
  pipeline,
};

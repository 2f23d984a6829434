/**
 * rx-amqp drivers: the Channel API used directly (basicConsume, basicPublish, publish), and
 * the same cases through the RxJS operators (consume, ackEach, publishTo).
 *
 * Each case is one exported function, so a variant (e.g. the `consume` / `ackEach` /
 * `publishTo` operators) is one more function and one line in bench/index.ts's CLIENTS:
 *   export const rxAmqpOperators: Driver<Connection> = { ...rxAmqp, consume: consumeWithOperators };
 */
import { count as count$, firstValueFrom, lastValueFrom, Observable, of, take, tap } from 'rxjs';
import { ackEach, consume as consumeOp, Message, open, publishTo, type Channel, type Connection } from 'rx-amqp';
import type { ConsumeParams, Driver, PipelineParams, PublishParams } from '../cases';

/** Subscribes to basicConsume; acks each delivery at once unless noAck; resolves after `count`. */
function consumeCount(channel: Channel, queue: string, count: number, noAck: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    let n = 0;
    const sub = channel.basicConsume(queue, { noAck }).subscribe({
      next: (delivery) => {
        if (!noAck) delivery.ack();
        if (++n === count) {
          sub.unsubscribe();
          resolve();
        }
      },
      error: reject,
    });
  });
}

/** basicPublish in a loop; pauses while `connection.writable$` is false. */
function publishAll(
  connection: Connection,
  channel: Channel,
  message: Message,
  routingKey: string,
  count: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let writable = true;
    let ready = false;
    const pump = () => {
      try {
        while (sent < count) {
          if (!writable) return;
          channel.basicPublish(message, '', routingKey);
          sent++;
        }
      } catch (e) {
        reject(e);
      }
      sub.unsubscribe();
      resolve();
    };
    const sub = connection.writable$.subscribe((w) => {
      writable = w;
      if (w && ready) pump();
    });
    ready = true;
    pump();
  });
}

/** channel.publish (confirm mode) with at most `window` messages unconfirmed. */
function publishConfirmed(
  channel: Channel,
  message: Message,
  routingKey: string,
  count: number,
  window: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let confirmed = 0;
    const observer = {
      next: () => {
        if (++confirmed === count) resolve();
        else pump();
      },
      error: reject,
    };
    const pump = () => {
      while (sent - confirmed < window && sent < count) {
        sent++;
        channel.publish(message, '', routingKey).subscribe(observer);
      }
    };
    pump();
  });
}

export async function consume(connection: Connection, { queue, count, noAck }: ConsumeParams): Promise<void> {
  const channel = await connection.openChannel();
  await consumeCount(channel, queue, count, noAck);
  await channel.close();
}

export async function publish(
  connection: Connection,
  { routingKey, count, body, window }: PublishParams,
): Promise<void> {
  const channel = await connection.openChannel();
  const message = new Message(body);
  if (window > 0) {
    await firstValueFrom(channel.confirmSelect());
    await publishConfirmed(channel, message, routingKey, count, window);
  } else {
    await publishAll(connection, channel, message, routingKey, count);
    const { messageCount } = await firstValueFrom(channel.queueDeclare(routingKey, { passive: true }));
    if (messageCount !== count) throw new Error(`broker read ${messageCount} publishes, expected ${count}`);
  }
  await channel.close();
}

export async function pipeline(connection: Connection, { count, body, prefetch }: PipelineParams): Promise<void> {
  const consumer = await connection.openChannel();
  const publisher = await connection.openChannel();
  const { queue } = await firstValueFrom(consumer.queueDeclare('', { exclusive: true, autoDelete: true }));
  await firstValueFrom(consumer.basicQos(prefetch));
  const consumed = consumeCount(consumer, queue, count, false);
  await publishAll(connection, publisher, new Message(body), queue, count);
  await consumed;
  await Promise.all([consumer.close(), publisher.close()]);
}

export const rxAmqp: Driver<Connection> = {
  connect: (url) => open(url),
  close: (connection) => connection.close(),
  consume,
  publish,
  pipeline,
};

// ---- the same cases through the RxJS operators (consume, ackEach, publishTo) ---------------

/**
 * A live producer of `count` copies of `message`: batches of up to 1000 per macrotask, holding
 * back while `limit` messages are emitted and not yet settled by publishTo (RxJS has no
 * backpressure, so a producer paces itself on the results it sees). `settled()` is called for
 * each result; it resumes a producer that was holding back, without polling.
 */
function pacedProducer(
  message: Message,
  count: number,
  limit: number,
): { source: Observable<Message>; settled: () => void } {
  let emitted = 0;
  let done = 0;
  let paused: (() => void) | null = null;
  const source = new Observable<Message>((subscriber) => {
    let timer: ReturnType<typeof setImmediate> | undefined;
    const step = () => {
      for (let k = 0; k < 1000 && emitted < count; k++) {
        if (emitted - done >= limit) {
          paused = () => {
            paused = null;
            timer = setImmediate(step);
          };
          return;
        }
        emitted++;
        subscriber.next(message);
      }
      if (emitted < count) timer = setImmediate(step);
      else subscriber.complete();
    };
    step();
    return () => clearImmediate(timer!);
  });
  const settled = () => {
    done++;
    if (paused && emitted - done <= limit / 2) paused();
  };
  return { source, settled };
}

async function consumeWithOperators(connection: Connection, { queue, count, noAck }: ConsumeParams): Promise<void> {
  const channel = await connection.openChannel();
  const deliveries = of(channel).pipe(consumeOp(queue, { noAck }));
  await lastValueFrom((noAck ? deliveries : deliveries.pipe(ackEach())).pipe(take(count), count$()));
  await channel.close();
}

async function publishWithOperators(
  connection: Connection,
  { routingKey, count, body, window }: PublishParams,
): Promise<void> {
  const channel = await connection.openChannel();
  if (window > 0) await firstValueFrom(channel.confirmSelect());
  const producer = pacedProducer(new Message(body), count, 4 * (window || 1000));
  const settled = await lastValueFrom(
    producer.source.pipe(
      publishTo(channel, '', routingKey, { window: window || 1000 }),
      tap(producer.settled),
      count$(),
    ),
  );
  if (settled !== count) throw new Error(`publishTo settled ${settled} of ${count}`);
  if (window === 0) {
    const { messageCount } = await firstValueFrom(channel.queueDeclare(routingKey, { passive: true }));
    if (messageCount !== count) throw new Error(`broker read ${messageCount} publishes, expected ${count}`);
  }
  await channel.close();
}

async function pipelineWithOperators(connection: Connection, { count, body, prefetch }: PipelineParams): Promise<void> {
  const consumer = await connection.openChannel();
  const publisher = await connection.openChannel();
  const { queue } = await firstValueFrom(consumer.queueDeclare('', { exclusive: true, autoDelete: true }));
  await firstValueFrom(consumer.basicQos(prefetch));
  const consumed = lastValueFrom(of(consumer).pipe(consumeOp(queue), ackEach(), take(count), count$()));
  const producer = pacedProducer(new Message(body), count, 4000);
  await lastValueFrom(producer.source.pipe(publishTo(publisher, '', queue), tap(producer.settled), count$()));
  await consumed;
  await Promise.all([consumer.close(), publisher.close()]);
}

export const rxAmqpOperators: Driver<Connection> = {
  ...rxAmqp,
  consume: consumeWithOperators,
  publish: publishWithOperators,
  pipeline: pipelineWithOperators,
};

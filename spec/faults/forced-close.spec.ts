/**
 * The broker closes a consuming connection (`rabbitmqctl close_connection` on the throwaway
 * node): consumption resumes on a new connection by itself, every message is processed at
 * least once, the ones delivered again are flagged `redelivered`, and settling a delivery of
 * the dead channel never reaches the new one (whose number and delivery tags are the same).
 */
import {
  lastValueFrom,
  map,
  of,
  range,
  ReplaySubject,
  shareReplay,
  Subject,
  take,
  tap,
  timer,
  toArray,
  type Observable,
  type Subscription,
} from 'rxjs';
import {
  ackAfter,
  connect,
  ConnectionClosedError,
  consume,
  declareQueue,
  Message,
  open,
  openChannel,
  publishTo,
  type Channel,
  type Delivery,
} from 'rx-amqp';
import { useBrokerNode, type BrokerNode } from '../support/broker-node';
import { eventually, figure, once, statusLog, uniqueName } from './helpers';

/** Puts `count` messages with ids 0..count-1 in `queue` (declared durable), with confirms. */
async function fill(node: BrokerNode, queue: string, count: number): Promise<void> {
  const connection = await open({ url: node.url });
  try {
    const channel = await connection.openChannel();
    await once(channel.confirmSelect());
    await once(channel.queueDeclare(queue, { durable: true }));
    const results = await lastValueFrom(
      range(0, count).pipe(
        map((i) => new Message(String(i), { messageId: String(i) })),
        publishTo(channel, '', queue),
        toArray(),
      ),
    );
    expect(results.filter((r) => r.status !== 'confirmed')).toEqual([]);
  } finally {
    await connection.close();
  }
}

async function deleteQueue(node: BrokerNode, queue: string): Promise<void> {
  const connection = await open({ url: node.url });
  await once((await connection.openChannel()).queueDelete(queue));
  await connection.close();
}

describe('the broker closes a consuming connection (throwaway node)', () => {
  const held = useBrokerNode();

  it('consumption with ackAfter resumes; every message is processed at least once, repeats flagged redelivered', async () => {
    const { node } = held;
    const queue = uniqueName('forced');
    const total = 3000;
    await fill(node, queue, total);

    const status = statusLog();
    const processed: Array<{ id: number; redelivered: boolean; connection: number }> = [];
    const connections: unknown[] = [];
    let closedAt = -1;
    // From the 1000th delivery on, processing waits until the client has seen its connection
    // go, so that the close lands in the middle whatever the speed of rabbitmqctl.
    let begun = 0;
    const lossSeen = new ReplaySubject<void>(1);
    let subscription: Subscription | undefined;
    try {
      subscription = connect({
        url: node.url,
        connectionName: queue,
        reconnect: { initialDelay: 50, maxDelay: 500 },
        status: status.observer,
      })
        .pipe(
          openChannel({ prefetch: 50 }),
          declareQueue(queue, { durable: true }),
          consume(queue),
          ackAfter(
            (d: Delivery) => {
              if (!connections.includes(d.channel.connection)) connections.push(d.channel.connection);
              const wait: Observable<unknown> = ++begun > 1000 ? lossSeen : timer(1);
              return wait.pipe(
                take(1),
                map(() => ({
                  id: Number(d.text),
                  redelivered: d.redelivered,
                  connection: connections.indexOf(d.channel.connection),
                })),
              );
            },
            { concurrency: 10 },
          ),
        )
        .subscribe((p) => processed.push(p));

      await eventually(() => processed.length > 0, 'consuming started');
      const pids = await node.connectionPids(queue);
      expect(pids).toHaveLength(1);
      await eventually(() => processed.length >= 990, 'about 1000 messages were processed');
      closedAt = processed.length;
      await node.ctl('close_connection', pids[0], 'fault spec: close during consume');
      await eventually(() => status.states().includes('disconnected'), 'the client saw its connection closed');
      lossSeen.next();
      const seen = () => new Set(processed.map((p) => p.id)).size;
      await eventually(() => seen() === total, 'every message was processed', 60000);
      await eventually(async () => (await node.queueDepth(queue)) === 0, 'the queue is empty (every message acked)');
    } finally {
      subscription?.unsubscribe();
    }

    // The connection was closed by the broker, and a new one took over on its own.
    const lost = status.entries.find((e) => e.status.state === 'disconnected');
    expect(lost?.status).toMatchObject({ error: expect.any(ConnectionClosedError) });
    expect((lost!.status as unknown as { error: ConnectionClosedError }).error.replyCode).toBe(320);
    expect(connections.length).toBe(2);
    expect(processed.some((p) => p.connection === 1)).toBe(true);

    // At least once, and a repeat is always flagged.
    const timesSeen = new Map<number, number>();
    let repeats = 0;
    for (const p of processed) {
      const before = timesSeen.get(p.id) ?? 0;
      if (before > 0) {
        repeats++;
        expect(p).toMatchObject({ redelivered: true, connection: 1 });
      }
      timesSeen.set(p.id, before + 1);
    }
    for (let id = 0; id < total; id++) expect(timesSeen.get(id)).toBeGreaterThanOrEqual(1);
    // Nothing was flagged before the close: the queue was fresh.
    expect(processed.filter((p) => p.connection === 0 && p.redelivered)).toEqual([]);
    const redelivered = processed.filter((p) => p.redelivered).length;
    expect(redelivered).toBeGreaterThan(0);
    // Only what was being processed (or its ack in flight) when the connection went is done
    // twice, not the whole prefetch window of 50 that was delivered and waiting.
    expect(repeats).toBeLessThan(50);

    figure('forced close: processed before close_connection', closedAt);
    figure('forced close: redelivered (flagged) / processed twice', `${redelivered} / ${repeats}`);
    const reopened = status.entries.find((e) => e.status.state === 'open' && e.at > lost!.at);
    figure('forced close: failover (disconnected -> open)', reopened!.at - lost!.at, 'ms');
    await deleteQueue(node, queue);
  }, 120000);

  it('ackAfter drops, unprocessed, the deliveries whose channel died while they waited their turn', async () => {
    const { node } = held;
    const queue = uniqueName('stale');
    await fill(node, queue, 20);

    const gate = new ReplaySubject<void>(1);
    const channels: Channel[] = [];
    const started: Array<{ id: number; redelivered: boolean; channel: number }> = [];
    const finished: number[] = [];
    const subscription = connect({
      url: node.url,
      connectionName: queue,
      reconnect: { initialDelay: 50, maxDelay: 500 },
    })
      .pipe(
        openChannel({ prefetch: 20 }),
        tap((ch) => channels.push(ch)),
        consume(queue),
        ackAfter(
          (d: Delivery) => {
            const id = Number(d.text);
            started.push({ id, redelivered: d.redelivered, channel: channels.indexOf(d.channel) });
            // The first delivery is still being processed when its connection goes.
            const wait: Observable<unknown> = id === 0 && !d.redelivered ? gate : of(undefined);
            return wait.pipe(
              take(1),
              map(() => id),
            );
          },
          { concurrency: 1 },
        ),
      )
      .subscribe((id) => finished.push(id));
    try {
      await eventually(
        () => channels.length === 1 && channels[0].core.unsettled.size === 20,
        'all 20 were delivered to the first channel',
      );
      expect(started).toEqual([{ id: 0, redelivered: false, channel: 0 }]);
      expect(await node.closeConnections(queue)).toBe(1);
      await eventually(
        () => channels.length === 2 && channels[1].core.unsettled.size === 20,
        'all 20 were delivered again',
      );
      gate.next();
      await eventually(
        () => new Set(finished).size === 20 && channels[1].core.unsettled.size === 0,
        'all 20 were processed and acked',
      );
    } finally {
      subscription.unsubscribe();
    }
    // Of the old channel's deliveries only the one in progress ran; the 19 waiting behind it
    // were dropped and processed once, as redeliveries, on the new channel.
    expect(started.filter((s) => s.channel === 0)).toEqual([{ id: 0, redelivered: false, channel: 0 }]);
    const again = started.filter((s) => s.channel === 1);
    expect(again.map((s) => s.id).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(again.every((s) => s.redelivered)).toBe(true);
    await eventually(async () => (await node.queueDepth(queue)) === 0, 'the queue is empty');
    await deleteQueue(node, queue);
  }, 60000);

  it('settling a delivery of the dead channel returns false and does not touch the new channel', async () => {
    const { node } = held;
    const queue = uniqueName('deadack');
    await fill(node, queue, 5);

    const deliveries = new Subject<Delivery>();
    const got: Delivery[] = [];
    deliveries.subscribe((d) => got.push(d));
    const channels: Channel[] = [];
    const channel$ = connect({
      url: node.url,
      connectionName: queue,
      reconnect: { initialDelay: 50, maxDelay: 500 },
    }).pipe(openChannel({ prefetch: 10 }), shareReplay({ bufferSize: 1, refCount: true }));
    const watch = channel$.subscribe((ch) => channels.push(ch));
    const consuming = channel$.pipe(consume(queue)).subscribe(deliveries);
    try {
      await eventually(() => got.length === 5, 'the 5 messages were delivered');
      const old = got.splice(0);
      expect(old.every((d) => !d.redelivered)).toBe(true);
      expect(await node.closeConnections(queue)).toBe(1);
      await eventually(() => got.length === 5, 'the 5 messages were delivered again');
      const fresh = got.splice(0);
      expect(channels).toHaveLength(2);
      const [oldChannel, newChannel] = channels;

      // The hazard: same channel number, same delivery tags, on the new connection.
      expect(fresh.every((d) => d.redelivered && d.channel === newChannel)).toBe(true);
      expect(newChannel.id).toBe(oldChannel.id);
      expect(fresh.map((d) => d.deliveryTag).sort()).toEqual(old.map((d) => d.deliveryTag).sort());
      expect(oldChannel.isOpen).toBe(false);

      // Settling the old ones does nothing and says so.
      expect(old[0].ack()).toBe(false);
      expect(old[1].ack(true)).toBe(false);
      expect(old[2].nack(true)).toBe(false);
      expect(old[3].reject(false)).toBe(false);
      expect(old[4].ackLater()).toBe(false);
      newChannel.core.flushAcks();

      // The new channel is unharmed: a round trip works, nothing was acked by the old tags,
      // and its own deliveries ack normally.
      await expect(once(newChannel.queueDeclare(queue, { passive: true }))).resolves.toMatchObject({
        queue,
        consumerCount: 1,
      });
      expect(newChannel.isOpen).toBe(true);
      expect(await node.queueDepth(queue)).toBe(5);
      for (const d of fresh) expect(d.ack()).toBe(true);
      await eventually(
        async () => (await node.queueDepth(queue)) === 0,
        'the queue is empty after acking the new deliveries',
      );
      await expect(once(newChannel.queueDeclare(queue, { passive: true }))).resolves.toMatchObject({ messageCount: 0 });
      expect(newChannel.isOpen).toBe(true);
      expect(newChannel.connection.isOpen).toBe(true);
    } finally {
      consuming.unsubscribe();
      watch.unsubscribe();
    }
    await deleteQueue(node, queue);
  }, 60000);
});

/**
 * A memory alarm on the throwaway node (`set_vm_memory_high_watermark 0`): the broker
 * blocks publishers (`connection.blocked`) and stops reading from them. Publishing must wait
 * rather than pile bytes into the socket, a close must not hang on a broker that reads
 * nothing, and publishing must resume once the alarm clears.
 */
import { filter, firstValueFrom, interval, map, shareReplay, switchMap, takeWhile, tap } from 'rxjs';
import {
  connect,
  declareQueue,
  Message,
  open,
  openChannel,
  publishTo,
  socketTransport,
  type PublishToResult,
  type TransportFactory,
} from 'rx-amqp';
import { useBrokerNode } from '../support/broker-node';
import { eventually, figure, once, sleep, uniqueName } from './helpers';

/** A socket transport that counts the bytes the client writes. */
function countingTransport(): { transport: TransportFactory; written: () => number } {
  let written = 0;
  return {
    transport: (endpoint, events) => {
      const inner = socketTransport(endpoint, events);
      return {
        write: (bytes) => {
          written += bytes.length;
          return inner.write(bytes);
        },
        end: () => inner.end(),
        destroy: () => inner.destroy(),
      };
    },
    written: () => written,
  };
}

/** What the process holds outside the JS heap's small objects: buffers and the rest. */
function memory(): { rss: number; heap: number; buffers: number } {
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, buffers: m.external + m.arrayBuffers };
}

const MB = 1024 * 1024;

describe('memory alarm (throwaway node)', () => {
  const held = useBrokerNode();

  afterEach(async () => {
    await held.node.setMemoryWatermark(0.4);
  });

  it('blocks publishTo without growing memory while the source offers more, then resumes when the alarm clears', async () => {
    const { node } = held;
    const queue = uniqueName('alarm');
    const counter = countingTransport();
    const channel$ = connect({ url: node.url, transport: counter.transport, connectionTimeout: 10000 }).pipe(
      openChannel({ confirm: true }),
      declareQueue(queue, { autoDelete: false }),
      shareReplay({ bufferSize: 1, refCount: true }),
    );
    const blocked: boolean[] = [];
    const watch = channel$.pipe(switchMap((ch) => ch.connection.blocked$)).subscribe((b) => blocked.push(b));

    // 128 KiB per message offered every 2 ms (the same body: offering costs nothing).
    const body = Buffer.alloc(128 * 1024, 7);
    let offering = true;
    let offered = 0;
    const confirmed: number[] = [];
    const results: Array<PublishToResult<Message>> = [];
    let completed = false;
    let failure: unknown;
    const publishing = interval(2)
      .pipe(
        takeWhile(() => offering),
        tap(() => offered++),
        map((i) => new Message(body, { messageId: String(i) })),
        publishTo(channel$, '', queue, { window: 20 }),
      )
      .subscribe({
        next: (r) => {
          results.push(r);
          if (r.ok) confirmed.push(Number(r.message.properties.messageId));
        },
        error: (e) => (failure = e),
        complete: () => (completed = true),
      });

    try {
      await eventually(() => confirmed.length >= 100, '100 messages were confirmed before the alarm');
      await node.setMemoryWatermark(0);
      await eventually(() => blocked.includes(true), 'the connection was blocked');
      await sleep(300); // let what was in flight when the block arrived settle or stall

      const writtenAtBlock = counter.written();
      const confirmedAtBlock = confirmed.length;
      const offeredAtBlock = offered;
      const base = memory();
      let peak = { rss: 0, heap: 0, buffers: 0 };
      for (let i = 0; i < 12; i++) {
        await sleep(250);
        const m = memory();
        peak = {
          rss: Math.max(peak.rss, m.rss - base.rss),
          heap: Math.max(peak.heap, m.heap - base.heap),
          buffers: Math.max(peak.buffers, m.buffers - base.buffers),
        };
      }
      const offeredWhileBlocked = offered - offeredAtBlock;
      const writtenWhileBlocked = counter.written() - writtenAtBlock;

      // The source kept offering: hundreds of MiB's worth of messages ...
      expect(offeredWhileBlocked * body.length).toBeGreaterThan(100 * MB);
      // ... and none of it was written, confirmed, or kept beyond a reference per message.
      expect(writtenWhileBlocked).toBeLessThan(64 * 1024);
      expect(confirmed.length).toBe(confirmedAtBlock);
      expect(blocked.at(-1)).toBe(true);
      expect(peak.buffers).toBeLessThan(16 * MB);
      expect(peak.rss).toBeLessThan(64 * MB);
      figure('alarm: offered while blocked', (offeredWhileBlocked * body.length) / MB, 'MiB');
      figure('alarm: written while blocked', writtenWhileBlocked, 'bytes');
      figure(
        'alarm: peak growth while blocked rss / heap / buffers',
        `${(peak.rss / MB).toFixed(1)} / ${(peak.heap / MB).toFixed(1)} / ${(peak.buffers / MB).toFixed(1)}`,
        'MiB',
      );

      await node.setMemoryWatermark(0.4);
      await eventually(() => blocked.at(-1) === false, 'the connection was unblocked');
      await eventually(
        () => confirmed.length >= confirmedAtBlock + 200,
        '200 more messages were confirmed after the alarm',
      );
      offering = false;
      await eventually(() => completed || failure !== undefined, 'publishing completed');
      expect(failure).toBeUndefined();
      expect(results.length).toBe(offered);
      expect(results.every((r) => r.status === 'confirmed')).toBe(true);
      expect(blocked).toEqual([false, true, false]);
      expect(await node.queueDepth(queue)).toBe(offered);
    } finally {
      offering = false;
      publishing.unsubscribe();
      watch.unsubscribe();
      const cleanup = await open({ url: node.url });
      await once((await cleanup.openChannel()).queueDelete(queue));
      await cleanup.close();
    }
  }, 90000);

  it('close() finishes within a second while the broker blocks the connection and reads nothing', async () => {
    const { node } = held;
    const connection = await open({ url: node.url, connectionTimeout: 10000 });
    const channel = await connection.openChannel();
    await once(channel.confirmSelect());
    const { queue } = await once(channel.queueDeclare('', { exclusive: true }));
    await node.setMemoryWatermark(0);
    // The broker blocks a connection (and stops reading from it) when it publishes during
    // the alarm, and says so with connection.blocked.
    const isBlocked = firstValueFrom(connection.blocked$.pipe(filter(Boolean)));
    const sequences = Array.from({ length: 5 }, (_, i) => channel.basicPublish(new Message(`stuck ${i}`), '', queue));
    expect(sequences).toEqual([1, 2, 3, 4, 5]);
    await isBlocked;
    await sleep(200);
    expect(channel.core.confirms.outstanding).toBeGreaterThan(0);

    const started = performance.now();
    await connection.close();
    const closeMs = performance.now() - started;

    figure('alarm: close() while blocked took', closeMs, 'ms');
    // The limit is one second (BLOCKED_CLOSE_LIMIT); the margin is for timer scheduling only.
    expect(closeMs).toBeLessThan(1250);
    expect(connection.state).toBe('closed');
    await expect(connection.closed).resolves.toBeUndefined();
  }, 30000);
});

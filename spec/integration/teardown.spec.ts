/**
 * Teardown against RabbitMQ (issue 10; over the fake server: spec/channel/teardown.spec.ts):
 * settling after a channel began to close, no timer left after a protocol error, a lost
 * close-ok, and publish() under a stalled socket.
 */
import { count, firstValueFrom, lastValueFrom, mergeMap, range, VirtualTimeScheduler } from 'rxjs';
import { Message, open, socketTransport, type TransportFactory } from 'rx-amqp';
import { TcpProxy } from '../support/tcp-proxy';
import { BROKER_URL, once, opts, tapTransport, uniqueName } from './helpers';

describe('settling after the channel began to close (RabbitMQ)', () => {
  it.each(['channel', 'connection'] as const)(
    'ack() after %s.close() began returns false, writes nothing, and the broker redelivers',
    async (what) => {
      const tap = tapTransport('0-9-1');
      const c = await open(opts('0-9-1', { transport: tap.transport }));
      const checker = await open(BROKER_URL);
      try {
        const ch = await c.openChannel();
        const queue = uniqueName('ack-after-close');
        await once(ch.queueDeclare(queue, { autoDelete: false, durable: false }));
        ch.basicPublish(new Message('once'), '', queue);
        await once(ch.basicQos(1));
        const delivery = await firstValueFrom(ch.basicConsume(queue));
        expect(delivery.redelivered).toBe(false);
        // firstValueFrom cancelled the consumer; the delivery stays unacked on the channel.
        const closing = what === 'channel' ? ch.close() : c.close();
        expect(delivery.ack()).toBe(false);
        await closing;
        const names = tap.methods.filter((m) => m.channel === ch.id || m.channel === 0).map((m) => m.name);
        expect(names).not.toContain('basic.ack');

        const probe = await checker.openChannel();
        const again = await once(probe.basicGet(queue, { noAck: true }));
        expect(again?.text).toBe('once');
        expect(again?.redelivered).toBe(true);
        await once(probe.queueDelete(queue));
      } finally {
        await c.close();
        await checker.close();
      }
    },
  );
});

/** Resolves once `value()` has not changed for `quiet` ms (polled every 50 ms); fails after 15 s. */
async function settledValue(value: () => number, quiet = 300): Promise<number> {
  const deadline = Date.now() + 15000;
  let last = value();
  let since = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 50));
    const now = value();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quiet) {
      return now;
    }
    if (Date.now() > deadline) throw new Error('the value kept changing for 15 s');
  }
}

describe('teardown and backpressure (RabbitMQ)', () => {
  it('after a protocol error the broker hangs up and no timer of the client is left', async () => {
    let inject: ((bytes: Uint8Array) => void) | undefined;
    let socketClosed!: () => void;
    const closed = new Promise<void>((r) => (socketClosed = r));
    const transport: TransportFactory = (endpoint, events) => {
      inject = (bytes) => events.data(bytes);
      return socketTransport(endpoint, {
        ...events,
        closed: (error) => {
          events.closed(error);
          socketClosed();
        },
      });
    };
    // Every timer of the connection (heartbeats, timeouts, the hang-up grace) goes through the
    // injected scheduler; virtual time never runs them, so whatever is left shows in `actions`.
    const scheduler = new VirtualTimeScheduler();
    const c = await open(opts('0-9-1', { transport, scheduler, heartbeat: 30 }));
    expect(scheduler.actions.length).toBeGreaterThan(0); // heartbeats
    // As if the broker sent channel.open-ok for channel 9, which is not open: a hard error
    // (504 CHANNEL_ERROR) the client reports with connection.close before it leaves.
    inject!(Uint8Array.of(1, 0, 9, 0, 0, 0, 4, 0, 20, 0, 11, 0xce));
    expect(await c.closed).toMatchObject({ code: 504 });
    await closed; // the broker answered close-ok and hung up
    expect(scheduler.actions).toEqual([]);
  });

  it('channel.close() whose close-ok is lost settles at closeTimeout; the number is not reused and the connection works on', async () => {
    const proxy = await TcpProxy.start({ port: Number(new URL(BROKER_URL).port || 5672) });
    let dropCloseOk = false;
    const closeOk = (ch: number) => Buffer.from([1, ch >> 8, ch & 0xff, 0, 0, 0, 4, 0, 20, 0, 41, 0xce]);
    proxy.tamper((chunk, direction) => {
      if (!dropCloseOk || direction !== 'toClient') return chunk;
      const frame = closeOk(1);
      const at = chunk.indexOf(frame);
      return at < 0 ? chunk : Buffer.concat([chunk.subarray(0, at), chunk.subarray(at + frame.length)]);
    });
    const c = await open({ url: proxy.url(), closeTimeout: 300 });
    try {
      const ch = await c.openChannel();
      expect(ch.id).toBe(1);
      dropCloseOk = true;
      await ch.close();
      expect(ch.isOpen).toBe(false);
      dropCloseOk = false;
      // The broker may still hold channel 1 for all the client knows: the next one is 2.
      const next = await c.openChannel();
      expect(next.id).toBe(2);
      expect((await once(next.queueDeclare('', { exclusive: true }))).queue).toMatch(/^amq\.gen-/);
      expect(c.isOpen).toBe(true);
    } finally {
      await c.close();
      await proxy.close();
    }
  });

  it('publish() under a stalled socket keeps the bytes handed to the socket bounded, then publishes everything', async () => {
    const proxy = await TcpProxy.start({ port: Number(new URL(BROKER_URL).port || 5672) });
    let handed = 0;
    const transport: TransportFactory = (endpoint, events) => {
      const t = socketTransport(endpoint, events);
      return {
        write: (bytes) => {
          handed += bytes.length;
          return t.write(bytes);
        },
        end: () => t.end(),
        destroy: () => t.destroy(),
      };
    };
    const c = await open({ url: proxy.url(), transport });
    try {
      const ch = await c.openChannel();
      const queue = uniqueName('stalled');
      await once(ch.queueDeclare(queue, { exclusive: true }));
      await once(ch.confirmSelect()); // each publish() then ends when the broker has the message
      const [proxied] = proxy.connections;
      proxied.client.pause(); // the "network" stops reading what the client sends
      const body = Buffer.alloc(8192, 7);
      const total = 5_000; // 41 MB
      const start = handed;
      const memoryBefore = process.memoryUsage().arrayBuffers;
      const published = lastValueFrom(
        range(0, total).pipe(
          mergeMap(() => ch.publish(body, '', queue)),
          count(),
        ),
      );
      published.catch(() => undefined); // if an assertion fails first, closing the connection rejects it
      const stalledAt = (await settledValue(() => handed)) - start;
      const memoryGrowth = process.memoryUsage().arrayBuffers - memoryBefore;
      // What the kernel and the proxy's buffers hold, not the 40 MB of the burst.
      expect(stalledAt).toBeLessThan((total * body.length) / 2);
      proxied.client.resume();
      expect(await published).toBe(total);
      const { messageCount } = await once(ch.queueDeclare(queue, { passive: true }));
      expect(messageCount).toBe(total);
      console.log(
        `publish() stalled after ${(stalledAt / 1e6).toFixed(1)} MB of ${((total * body.length) / 1e6).toFixed(1)} MB; arrayBuffers grew ${(memoryGrowth / 1e6).toFixed(1)} MB`,
      );
    } finally {
      await c.close();
      await proxy.close();
    }
  });
});

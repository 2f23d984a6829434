/**
 * Heartbeats against a dead peer, through a TCP proxy to the shared broker: a blackholed
 * connection (nothing forwarded either way, nothing closed) must be declared dead within
 * two heartbeat intervals plus a tick, failing every pending confirm at once; an idle but
 * healthy connection must not be.
 */
import { firstValueFrom } from 'rxjs';
import { HeartbeatTimeoutError, Message, open } from 'rx-amqp';
import { TcpProxy } from '../support/tcp-proxy';
import { done, figure, once, sharedBroker, sleep } from './helpers';

describe('heartbeats through a proxy (shared broker)', () => {
  let proxy: TcpProxy;

  beforeEach(async () => {
    proxy = await TcpProxy.start(sharedBroker());
  });

  afterEach(async () => {
    await proxy.close();
  });

  it('declares a blackholed peer dead within 3 s (heartbeat 1 s) and fails all pending confirms at once', async () => {
    const connection = await open({ url: proxy.url(), heartbeat: 1, connectionTimeout: 10000 });
    expect(connection.tune.heartbeat).toBe(1);
    const channel = await connection.openChannel();
    await done(channel.confirmSelect());
    const { queue } = await once(channel.queueDeclare('', { exclusive: true }));
    // Confirms work before the fault.
    await expect(firstValueFrom(channel.publish(new Message('before'), '', queue))).resolves.toMatchObject({
      confirmed: true,
    });

    const [conn] = proxy.connections;
    proxy.blackhole();
    const blackholedAt = performance.now();
    const pending = Array.from({ length: 200 }, (_, i) =>
      firstValueFrom(channel.publish(new Message(`lost ${i}`), '', queue)).then(
        () => ({ ok: true as const, at: performance.now(), error: undefined }),
        (error: unknown) => ({ ok: false as const, at: performance.now(), error }),
      ),
    );
    const ended = await connection.closed;
    const detectedAt = performance.now();
    const outcomes = await Promise.all(pending);

    const detectionMs = detectedAt - blackholedAt;
    figure('heartbeat 1 s: dead peer detected after', detectionMs, 'ms');
    expect(ended).toBeInstanceOf(HeartbeatTimeoutError);
    expect(detectionMs).toBeLessThan(3000);
    expect(connection.isOpen).toBe(false);

    expect(outcomes.every((o) => !o.ok)).toBe(true);
    for (const o of outcomes) expect(o.error).toBe(ended);
    const times = outcomes.map((o) => o.at);
    const spread = Math.max(...times) - Math.min(...times);
    figure('pending confirms failed within', spread, 'ms of each other');
    expect(spread).toBeLessThan(50);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(detectedAt - 50);
    // The publishes (and the client's heartbeats) went into the blackhole.
    expect(conn.dropped.toServer).toBeGreaterThan(200 * 'lost 0'.length);
  }, 20000);

  it('keeps an idle connection with heartbeat 1 s alive for 5 s, sending heartbeats both ways', async () => {
    const connection = await open({ url: proxy.url(), heartbeat: 1, connectionTimeout: 10000 });
    try {
      expect(connection.tune.heartbeat).toBe(1);
      const [conn] = proxy.connections;
      const before = { ...conn.bytes };
      let ended: unknown = 'still open';
      void connection.closed.then((e) => (ended = e));

      await sleep(5000);

      expect(ended).toBe('still open');
      expect(connection.isOpen).toBe(true);
      // Each side sent heartbeat frames (8 bytes) while the client said nothing else: at
      // least one per interval from the client, and the server's.
      expect(conn.bytes.toServer - before.toServer).toBeGreaterThanOrEqual(4 * 8);
      expect(conn.bytes.toClient - before.toClient).toBeGreaterThanOrEqual(2 * 8);
      // And it still works.
      const channel = await connection.openChannel();
      const { queue } = await once(channel.queueDeclare('', { exclusive: true }));
      expect(queue).toMatch(/^amq\.gen-/);
    } finally {
      await connection.close();
    }
  }, 20000);
});

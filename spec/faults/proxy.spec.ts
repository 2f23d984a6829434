/**
 * Connections broken in the network, through the TCP proxy to the shared broker: cut (FIN),
 * reset (RST), new connections refused, bytes tampered with. Each ends the connection with a
 * typed error; with `reconnect`, a confirmed publishing pipeline rides through all of them.
 */
import { lastValueFrom, map, of, range, shareReplay, take, tap, toArray } from 'rxjs';
import {
  AuthenticationError,
  connect,
  ConnectionLostError,
  consume,
  declareQueue,
  FrameError,
  Message,
  open,
  openChannel,
  publishTo,
  type Connection,
} from 'rx-amqp';
import { TcpProxy } from '../support/tcp-proxy';
import {
  done,
  eventually,
  figure,
  once,
  sharedBroker,
  SHARED_BROKER_URL,
  statusLog,
  uniqueName,
  withConnection,
} from './helpers';

describe('network faults through a proxy (shared broker)', () => {
  let proxy: TcpProxy;

  beforeEach(async () => {
    proxy = await TcpProxy.start(sharedBroker());
  });

  afterEach(async () => {
    await proxy.close();
  });

  it('a reset (RST) ends the connection with ConnectionLostError caused by ECONNRESET', async () => {
    const connection = await open({ url: proxy.url(), connectionTimeout: 10000 });
    const channel = await connection.openChannel();
    expect(proxy.reset()).toBe(1);
    const error = await connection.closed;
    expect(error).toBeInstanceOf(ConnectionLostError);
    expect((error as Error).cause).toMatchObject({ code: 'ECONNRESET' });
    expect((error as Error).message).toMatch(new RegExp(`^connection to 127\\.0\\.0\\.1:${proxy.port} lost`));
    await expect(channel.closed).resolves.toBe(error);
  });

  it('a cut (FIN) ends the connection with ConnectionLostError and fails what was pending with it', async () => {
    const connection = await open({ url: proxy.url(), connectionTimeout: 10000 });
    const channel = await connection.openChannel();
    // A reply that can never come: the request is queued behind a cut.
    proxy.blackhole();
    const pending = once(channel.queueDeclare('', { exclusive: true })).catch((e: unknown) => e);
    proxy.blackhole(false);
    proxy.cut();
    const error = await connection.closed;
    expect(error).toBeInstanceOf(ConnectionLostError);
    expect((error as Error).message).toBe(`connection to 127.0.0.1:${proxy.port} lost`);
    await expect(pending).resolves.toBe(error);
  });

  it('bytes tampered with (a bad frame end) end the connection with FrameError 501, told to the server', async () => {
    const connection = await open({ url: proxy.url(), connectionTimeout: 10000 });
    const channel = await connection.openChannel();
    const toServer: Buffer[] = [];
    proxy.tamper((chunk, direction) => {
      if (direction === 'toServer') {
        toServer.push(chunk);
        return chunk;
      }
      const bad = Buffer.from(chunk);
      bad[bad.length - 1] = 0x00; // the frame-end octet (0xCE) of the last frame
      return bad;
    });
    const reply = once(channel.queueDeclare('', { exclusive: true })).catch((e: unknown) => e);
    const error = await connection.closed;
    expect(error).toBeInstanceOf(FrameError);
    expect(error).toMatchObject({ code: 501 });
    await expect(reply).resolves.toBe(error);
    // connection.close (class 10, method 50) with reply code 501 went to the server.
    const closeMethod = Buffer.from([0x00, 0x0a, 0x00, 0x32, 0x01, 0xf5]);
    await eventually(() => Buffer.concat(toServer).includes(closeMethod), 'the client told the server why it closed');
  });

  /** Drops the client's connection.start-ok (class 10, method 11) on its way, once, and breaks the connection then. */
  function breakAtStartOk(fault: () => void): void {
    const startOk = Buffer.from([0x00, 0x0a, 0x00, 0x0b]);
    let armed = true;
    proxy.tamper((chunk, direction) => {
      if (!armed || direction !== 'toServer' || !chunk.includes(startOk)) return chunk;
      armed = false;
      setImmediate(fault);
      return Buffer.alloc(0);
    });
  }

  it('a reset during the handshake, after start-ok, is a lost connection, not a refused login', async () => {
    breakAtStartOk(() => proxy.reset());
    const error = await open({ url: proxy.url(), connectionTimeout: 10000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionLostError);
    expect(error).not.toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toMatch(
      /closed the connection during the handshake \(waiting for connection\.tune\)/,
    );
    expect((error as Error).cause).toMatchObject({ code: 'ECONNRESET' });
  });

  it('a connection cut during the handshake, after start-ok, is retried by reconnect', async () => {
    breakAtStartOk(() => proxy.cut());
    const status = statusLog();
    const connections: Connection[] = [];
    const subscription = connect({
      url: proxy.url(),
      reconnect: { initialDelay: 10, maxDelay: 50 },
      connectionTimeout: 10000,
      status: status.observer,
    }).subscribe({
      next: (c) => connections.push(c),
      error: (e: unknown) => connections.push(e as Connection),
    });
    try {
      await eventually(() => connections.length > 0, 'connect() emitted');
      expect(connections[0].isOpen).toBe(true);
      expect(status.states()).toEqual(['connecting', 'disconnected', 'connecting', 'open']);
      const lost = status.entries[1].status as { error: Error };
      expect(lost.error).toBeInstanceOf(ConnectionLostError);
      expect(lost.error).not.toBeInstanceOf(AuthenticationError);
    } finally {
      subscription.unsubscribe();
    }
  });

  it('publishTo over a reconnecting channel rides through RST, FIN and refused connections; nothing confirmed is lost', async () => {
    const queue = uniqueName('proxy');
    const total = 20000;
    const status = statusLog();
    const channel$ = connect({
      url: proxy.url(),
      reconnect: { initialDelay: 50, maxDelay: 400 },
      connectionTimeout: 5000,
      status: status.observer,
    }).pipe(
      openChannel({ confirm: true }),
      declareQueue(queue, { autoDelete: false }),
      shareReplay({ bufferSize: 1, refCount: true }),
    );
    const faults: Array<{ at: number; fault: () => void }> = [
      { at: 4000, fault: () => proxy.reset() },
      { at: 9000, fault: () => proxy.cut() },
      {
        at: 14000,
        fault: () => {
          proxy.refuse(1000);
          proxy.reset();
        },
      },
    ];
    let confirmed = 0;
    try {
      const results = await lastValueFrom(
        range(0, total).pipe(
          map((i) => new Message(String(i), { messageId: String(i) })),
          publishTo(channel$, '', queue, { window: 200 }),
          tap((r) => {
            if (r.ok) confirmed++;
            while (faults.length && confirmed >= faults[0].at) faults.shift()!.fault();
          }),
          toArray(),
        ),
      );
      expect(faults).toEqual([]);
      expect(results).toHaveLength(total);
      expect(results.filter((r) => r.status !== 'confirmed')).toEqual([]);
      const losses = status.entries.filter((e) => e.status.state === 'disconnected').length;
      expect(losses).toBeGreaterThanOrEqual(3);
      expect(proxy.refused).toBeGreaterThan(0);

      // Everything is in the queue, at least once.
      await withConnection(SHARED_BROKER_URL, async (check) => {
        const channel = await check.openChannel();
        const { messageCount } = await once(channel.queueDeclare(queue, { passive: true }));
        expect(messageCount).toBeGreaterThanOrEqual(total);
        const seen = new Uint8Array(total);
        await lastValueFrom(
          of(channel).pipe(
            consume(queue, { noAck: true }),
            take(messageCount),
            tap((d) => (seen[Number(d.properties.messageId)] = 1)),
          ),
        );
        expect(seen.every((s) => s === 1)).toBe(true);
        figure('proxy: connections lost / messages stored (duplicates included)', `${losses} / ${messageCount}`);
      });
    } finally {
      await withConnection(SHARED_BROKER_URL, async (c) => done((await c.openChannel()).queueDelete(queue)));
    }
  }, 120000);
});

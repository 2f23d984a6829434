/**
 * Opening and closing connections against the real RabbitMQ, in both dialects: URL and option
 * forms, tune negotiation, server properties, close and `await using`, and the `connect()`
 * Observable's lifetime (emits once, unsubscribe closes, close() completes it), and users'
 * habits from other clients (a trailing-slash URL, openChannel(id) of an open channel).
 * Failures (login, vhost, server close) are in connection-errors.spec.ts.
 */
import { firstValueFrom, take } from 'rxjs';
import { connect, type Connection, NotOpenError, open, type Protocol } from 'rx-amqp';
import {
  BROKER_URL,
  Cleanup,
  DIALECTS,
  eventually,
  liveness,
  once,
  opts,
  quietFor,
  rabbitmqctl,
  tapTransport,
  uniqueName,
} from './helpers';

/** The broker's view of connections: client-provided name -> its row of extra columns. */
async function brokerConnections(...columns: string[]): Promise<Map<string, string[]>> {
  const out = await rabbitmqctl('list_connections', '--no-table-headers', 'client_properties', ...columns);
  const rows = new Map<string, string[]>();
  for (const line of out.split('\n')) {
    const m = /\{"connection_name","([^"]*)"\}/.exec(line);
    if (!m) continue;
    rows.set(
      m[1],
      line
        .split('\t')
        .slice(1)
        .map((f) => f.trim()),
    );
  }
  return rows;
}

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** A second connection that watches others end (see `liveness`). */
let observer: Connection;
beforeAll(async () => {
  observer = await open(opts('0-9-1'));
});
afterAll(() => observer.close());

describe.each(DIALECTS)('connections, AMQP %s', (protocol: Protocol) => {
  it('opens from a URL with query parameters, and tune reflects them on both sides', async () => {
    const name = uniqueName('url');
    const c = cleanup.connection(
      await open({
        url: `${BROKER_URL}/%2F?heartbeat=7&frame_max=65536&channel_max=100&connection_timeout=5000`,
        protocol,
        connectionName: name,
      }),
    );
    expect(c.protocol).toBe(protocol);
    expect(c.isOpen).toBe(true);
    expect(c.state).toBe('open');
    expect(c.tune).toEqual({ channelMax: 100, frameMax: 65536, heartbeat: 7 });
    expect(c.endpoint).toEqual({ hostname: '127.0.0.1', port: 5672, tls: false });

    // The broker agrees: same dialect, frame_max, channel_max, heartbeat, vhost and user.
    const row = (await brokerConnections('protocol', 'frame_max', 'channel_max', 'timeout', 'vhost', 'user')).get(name);
    expect(row).toEqual([protocol === '0-8' ? '{0,8,0}' : '{0,9,1}', '65536', '100', '7', '/', 'guest']);
  });

  it('opens from an options object; explicit options win over the URL', async () => {
    const c = cleanup.connection(
      await open({
        url: `${BROKER_URL}?heartbeat=5&channel_max=10`,
        hosts: ['127.0.0.1:5672'],
        username: 'guest',
        password: 'guest',
        vhost: '/',
        protocol,
        heartbeat: 9,
        frameMax: 32768,
      }),
    );
    expect(c.tune).toEqual({ channelMax: 10, frameMax: 32768, heartbeat: 9 });
    // channel_max 10 from the URL is enforced.
    await expect(c.openChannel(11)).rejects.toThrow(/outside 1\.\.10/);
  });

  it('several hosts: an unreachable one is skipped', async () => {
    const c = cleanup.connection(await open(opts(protocol, { hosts: ['127.0.0.1:1', '127.0.0.1:5672'] })));
    expect(c.endpoint.port).toBe(5672);
    expect(c.isOpen).toBe(true);
  });

  it('takes the server defaults when it asks for nothing, and exposes serverProperties', async () => {
    const c = cleanup.connection(await open(opts(protocol)));
    // RabbitMQ 3.10 proposes channel_max 2047, frame_max 131072, heartbeat 60.
    expect(c.tune).toEqual({ channelMax: 2047, frameMax: 131072, heartbeat: 60 });
    const props = c.serverProperties;
    expect(props.product).toBe('RabbitMQ');
    expect(String(props.version)).toMatch(/^3\./);
    expect(typeof props.platform).toBe('string');
    if (protocol === '0-9-1') {
      expect(props.capabilities).toMatchObject({
        publisher_confirms: true,
        'basic.nack': true,
        consumer_cancel_notify: true,
      });
    } else {
      // RabbitMQ advertises no capabilities to 0-8 clients (0-8 tables cannot carry booleans).
      expect(props.capabilities).toEqual({});
    }
  });

  it('opens from a plain URL string (0-9-1 is the default dialect); the URL cannot choose 0-8', async () => {
    if (protocol === '0-8') {
      const c = cleanup.connection(await open({ url: BROKER_URL, protocol }));
      expect(c.protocol).toBe('0-8');
      return;
    }
    const c = cleanup.connection(await open(BROKER_URL));
    expect(c.protocol).toBe('0-9-1');
    expect(c.isOpen).toBe(true);
  });

  it('close() ends the connection on both sides; later calls fail with NotOpenError', async () => {
    const c = await open(opts(protocol));
    const alive = await liveness(c, observer);
    const ch = await c.openChannel();
    expect(await alive()).toBe('alive');

    const closing = c.close();
    expect(c.state).toBe('closing');
    expect(c.close()).toBe(closing); // the same close
    await closing;
    expect(c.state).toBe('closed');
    expect(c.isOpen).toBe(false);
    expect(await c.closed).toBeUndefined();
    expect(ch.isOpen).toBe(false);
    expect(await ch.closed).toBeUndefined();
    await expect(c.openChannel()).rejects.toBeInstanceOf(NotOpenError);
    await expect(once(ch.queueDeclare('', { exclusive: true }))).rejects.toBeInstanceOf(NotOpenError);
    await c.close(); // closing a closed connection is fine
    expect(await alive()).toBe('gone');
  });

  it('await using closes the connection at the end of the scope', async () => {
    let kept: Connection;
    let alive: () => Promise<'alive' | 'gone'>;
    {
      await using c = await open(opts(protocol));
      kept = c;
      alive = await liveness(c, observer);
      expect(c.isOpen).toBe(true);
      expect(await alive()).toBe('alive');
    }
    expect(kept.state).toBe('closed');
    expect(await kept.closed).toBeUndefined();
    expect(await alive()).toBe('gone');
  });

  it('connect() emits the connection once; unsubscribing closes it gracefully (rabbitmqctl no longer lists it)', async () => {
    const name = uniqueName('observable');
    const seen: Connection[] = [];
    let completed = false;
    let failed: unknown;
    const sub = connect(opts(protocol, { connectionName: name })).subscribe({
      next: (c) => seen.push(c),
      error: (e) => (failed = e),
      complete: () => (completed = true),
    });
    await eventually(() => seen.length > 0, 'connect() emits');
    const c = seen[0];
    const ch = await c.openChannel();
    const q = await once(ch.queueDeclare('', { exclusive: true }));
    expect(q.queue).toMatch(/^amq\.gen-/);
    expect((await brokerConnections()).has(name)).toBe(true);
    expect(seen).toHaveLength(1);

    sub.unsubscribe();
    expect(await c.closed).toBeUndefined(); // graceful: no error
    expect(c.state).toBe('closed');
    expect(ch.isOpen).toBe(false);
    expect(failed).toBeUndefined();
    expect(completed).toBe(false); // unsubscribed: nothing more is delivered
    await eventually(async () => !(await brokerConnections()).has(name), 'the broker forgets the connection');
  });

  it('connect() completes when the connection is closed with close()', async () => {
    const events: string[] = [];
    let conn: Connection | undefined;
    const sub = connect(opts(protocol)).subscribe({
      next: (c) => {
        events.push('next');
        conn = c;
      },
      error: () => events.push('error'),
      complete: () => events.push('complete'),
    });
    cleanup.add(async () => sub.unsubscribe());
    await eventually(() => conn !== undefined, 'connect() emits');
    await conn!.close();
    expect(events).toEqual(['next', 'complete']);
    expect(await conn!.closed).toBeUndefined();
  });

  it('connect() with take(1) closes the connection it emitted', async () => {
    const c = await firstValueFrom(connect(opts(protocol)).pipe(take(1)));
    // firstValueFrom unsubscribes at once, which closes the connection gracefully.
    expect(c.state).not.toBe('open');
    expect(await c.closed).toBeUndefined();
    expect(c.state).toBe('closed');
    await expect(c.openChannel()).rejects.toBeInstanceOf(NotOpenError);
  });

  it('connect() is cold: each subscription is its own connection, closed on its own', async () => {
    const source = connect(opts(protocol));
    const got: Array<Connection | undefined> = [undefined, undefined];
    const subs = [0, 1].map((i) => source.subscribe((c) => (got[i] = c)));
    cleanup.add(async () => {
      for (const s of subs) s.unsubscribe();
    });
    await eventually(() => got.every((c) => c !== undefined), 'both connect');
    const [first, second] = got as Connection[];
    expect(first).not.toBe(second);
    const alive = await liveness(first, observer);
    subs[0].unsubscribe();
    expect(first.state).toBe('closing');
    expect(await first.closed).toBeUndefined();
    expect(await alive()).toBe('gone');
    expect(second.isOpen).toBe(true);
  });
});

it('heartbeats: idle connections with heartbeat=1 stay open and both sides send heartbeat frames (both dialects at once)', async () => {
  await Promise.all(
    DIALECTS.map(async (protocol) => {
      const tap = tapTransport(protocol);
      const c = cleanup.connection(await open(opts(protocol, { heartbeat: 1, transport: tap.transport })));
      expect(c.tune.heartbeat).toBe(1);
      // Idle for more than two intervals: RabbitMQ drops a client silent for two of them.
      await quietFor(3200);
      expect(c.isOpen).toBe(true);
      expect(tap.frames.filter((f) => f.type === 8).length).toBeGreaterThanOrEqual(2);
      expect(tap.received.filter((f) => f.type === 8).length).toBeGreaterThanOrEqual(2);
      const ch = await c.openChannel();
      expect((await once(ch.queueDeclare('', { exclusive: true }))).queue).toMatch(/^amq\.gen-/);
    }),
  );
});

/** The broker URL with a bare trailing slash: `amqp://guest:guest@127.0.0.1:5672/`. */
const TRAILING_SLASH_URL = `${BROKER_URL.replace(/\/+$/, '')}/`;

describe('users\u2019 habits', () => {
  let c: Connection | undefined;
  afterEach(async () => {
    await c?.close();
    c = undefined;
  });

  it('a URL with a trailing slash connects to the vhost "/"', async () => {
    expect(TRAILING_SLASH_URL).toMatch(/:\d+\/$/);
    c = await open(TRAILING_SLASH_URL);
    const ch = await c.openChannel();
    const queue = uniqueName('slash');
    await once(ch.queueDeclare(queue, { exclusive: true }));
    const listed = await rabbitmqctl('list_queues', '-p', '/', '--no-table-headers', 'name');
    expect(listed.split('\n').map((l) => l.trim())).toContain(queue);
  });

  it('openChannel(id) of an open channel resolves to that same channel', async () => {
    c = await open(BROKER_URL);
    const a = await c.openChannel(5);
    const b = await c.openChannel(5);
    expect(b).toBe(a);
    expect((await once(b.queueDeclare('', { exclusive: true }))).queue).toMatch(/^amq\.gen-/);
    await b.close();
    expect(a.isOpen).toBe(false);
  });
});

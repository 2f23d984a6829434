/**
 * Connections that fail or are ended by the server, against the real RabbitMQ, in both
 * dialects: wrong password, unknown vhost, percent-encoded credentials and vhost, and a
 * server close (`rabbitmqctl close_connection`) of a connection rx-amqp holds.
 */
import { firstValueFrom } from 'rxjs';
import {
  AuthenticationError,
  ChannelClosedError,
  connect,
  type Connection,
  ConnectionClosedError,
  open,
  type Protocol,
} from 'rx-amqp';
import {
  Cleanup,
  connectionPid,
  countingTransport,
  DIALECTS,
  eventually,
  once,
  opts,
  quietFor,
  rabbitmqctl,
  uniqueName,
} from './helpers';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

// A throwaway vhost and user whose names and password need percent-encoding in a URL.
const vhost = `${uniqueName('vh')}/a b%`;
const user = `${uniqueName('user')}@x:y`;
const password = 'p:w/d?#%@ü';
beforeAll(async () => {
  await Promise.all([rabbitmqctl('add_vhost', vhost), rabbitmqctl('add_user', user, password)]);
  await rabbitmqctl('set_permissions', '-p', vhost, user, '.*', '.*', '.*');
});
afterAll(async () => {
  await Promise.all([rabbitmqctl('delete_user', user).catch(() => undefined), rabbitmqctl('delete_vhost', vhost)]);
});

it('a wrong password fails with AuthenticationError 403, once, without a reconnect loop (both dialects at once)', async () => {
  await Promise.all(
    DIALECTS.map(async (protocol) => {
      const counter = countingTransport();
      const error = await firstValueFrom(
        connect(
          opts(protocol, {
            password: 'definitely-wrong',
            reconnect: { initialDelay: 10, maxDelay: 20 },
            transport: counter.transport,
          }),
        ),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect((error as AuthenticationError).code).toBe(403);
      if (protocol === '0-9-1') {
        // With authentication_failure_close RabbitMQ says why before closing.
        expect((error as Error).message).toMatch(/ACCESS_REFUSED/);
      } else {
        // RabbitMQ just closes the socket of a 0-8 client after start-ok (after a ~3 s delay).
        expect((error as Error).message).toMatch(/closed the connection after the login/);
      }
      // Refused credentials are not retried, even with a reconnect policy.
      await quietFor(150);
      expect(counter.count()).toBe(1);
    }),
  );
});

describe.each(DIALECTS)('connection failures, AMQP %s', (protocol: Protocol) => {
  it('an unknown vhost fails with ConnectionClosedError 530, not retried', async () => {
    const missing = uniqueName('no-such-vhost');
    const counter = countingTransport();
    const error = await firstValueFrom(
      connect(opts(protocol, { vhost: missing, reconnect: { initialDelay: 10 }, transport: counter.transport })),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect(error).toMatchObject({ code: 530, replyCode: 530, classId: 10, methodId: 40 });
    expect((error as ConnectionClosedError).replyText).toContain(missing);
    await quietFor(100);
    expect(counter.count()).toBe(1);
    // open() is for one connection: it refuses a reconnect policy outright.
    await expect(open(opts(protocol, { reconnect: true }))).rejects.toBeInstanceOf(TypeError);
  });

  it('percent-encoded user, password and vhost in the URL reach the broker', async () => {
    const url = `amqp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:5672/${encodeURIComponent(vhost)}`;
    const c = cleanup.connection(await open({ url, protocol }));
    const ch = await c.openChannel();
    const q = uniqueName('q');
    await once(ch.queueDeclare(q, { exclusive: true }));
    // The same user on the same vhost, with explicit options (no encoding), finds that queue
    // (locked: exclusive to the first connection), so both landed in the throwaway vhost.
    const c2 = cleanup.connection(await open(opts(protocol, { username: user, password, vhost })));
    const ch2 = await c2.openChannel();
    await expect(once(ch2.queueDeclare(q, { passive: true }))).rejects.toMatchObject({ code: 405 });
    // And it is not on the default vhost.
    const c3 = cleanup.connection(await open(opts(protocol)));
    const ch3 = await c3.openChannel();
    await expect(once(ch3.queueDeclare(q, { passive: true }))).rejects.toMatchObject({ code: 404 });
  });

  it('connect() errors with ConnectionClosedError 320 when the server closes the connection; its channels error too', async () => {
    const name = uniqueName('forced');
    const events: string[] = [];
    let error: unknown;
    const emitted: Connection[] = [];
    const sub = connect(opts(protocol, { connectionName: name })).subscribe({
      next: (c) => emitted.push(c),
      error: (e) => {
        error = e;
        events.push('error');
      },
      complete: () => events.push('complete'),
    });
    cleanup.add(async () => sub.unsubscribe());
    await eventually(() => emitted.length > 0, 'connect() emits');
    const c = emitted[0];
    const ch = await c.openChannel();
    const channelErrors: unknown[] = [];
    const chSub = c.channel(5).subscribe({ error: (e) => channelErrors.push(e) });
    cleanup.add(async () => chSub.unsubscribe());
    await once(ch.queueDeclare('', { exclusive: true })); // the connection works

    const pid = await connectionPid(name);
    expect(pid).toBeDefined();
    await rabbitmqctl('close_connection', pid!, 'rx-amqp integration test');
    await eventually(() => events.length > 0, 'the Observable ends');
    expect(events).toEqual(['error']);
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect(error).toMatchObject({ code: 320, replyCode: 320 });
    expect((error as ConnectionClosedError).replyText).toContain('rx-amqp integration test');
    expect(await c.closed).toBe(error);
    expect(c.state).toBe('closed');
    // Channels end with the connection's error (not a ChannelClosedError).
    expect(await ch.closed).toBe(error);
    expect(channelErrors).toEqual([error]);
    expect(channelErrors[0]).not.toBeInstanceOf(ChannelClosedError);
    expect(emitted).toHaveLength(1);
  });

  it('with reconnect, a server close is followed by a new Connection instead of an error', async () => {
    const name = uniqueName('recover');
    const emitted: Connection[] = [];
    const errors: unknown[] = [];
    const sub = connect(
      opts(protocol, { connectionName: name, reconnect: { initialDelay: 10, maxDelay: 50 } }),
    ).subscribe({
      next: (c) => emitted.push(c),
      error: (e) => errors.push(e),
    });
    cleanup.add(async () => sub.unsubscribe());
    await eventually(() => emitted.length === 1, 'connect() emits');
    const first = emitted[0];
    const pid = await connectionPid(name);
    await rabbitmqctl('close_connection', pid!, 'forced for reconnect');
    await eventually(() => emitted.length === 2, 'a new connection after the forced close');
    const closedWith = await first.closed;
    expect(closedWith).toBeInstanceOf(ConnectionClosedError);
    expect((closedWith as ConnectionClosedError).code).toBe(320);
    const second = emitted[1];
    expect(second).not.toBe(first);
    expect(second.isOpen).toBe(true);
    expect(errors).toEqual([]);
    // The new connection works, and is a different one on the broker.
    const ch = await second.openChannel();
    await once(ch.queueDeclare('', { exclusive: true }));
    sub.unsubscribe();
    expect(await second.closed).toBeUndefined();
    expect(emitted).toHaveLength(2);
  });
});

import { TestScheduler } from 'rxjs/testing';
import { BehaviorSubject, map, Subject } from 'rxjs';
import { connect, CredentialsProviderError, type CredentialsValue } from 'rx-amqp';
import { fakeServer, type FakeServer } from 'rx-amqp/testing';
import { errorText } from '../spec/support/fake';

function testScheduler() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** A fake server that records every login's password and accepts those in `accepted` (all when empty). */
function loginServer(options: { protocol?: '0-9-1' | '0-8'; accepted?: () => string[] } = {}) {
  const logins: string[] = [];
  const server = fakeServer({
    protocol: options.protocol,
    authenticate: (login) => {
      logins.push(`${login.username}:${login.password}`);
      const accepted = options.accepted?.();
      return !accepted || accepted.includes(login.password ?? '');
    },
  });
  server.answer('connection.update-secret', 'connection.update-secret-ok');
  return { server, logins };
}

const secretsSent = (server: FakeServer) =>
  server.methods('connection.update-secret').map((m) => `${String(m.args.newSecret)}/${String(m.args.reason)}`);

describe('credentials (marbles)', () => {
  it('asks a function provider again on every connection attempt, reconnects included', () => {
    const ts = testScheduler();
    const { server, logins } = loginServer();
    let asked = 0;
    ts.run(({ cold, expectObservable }) => {
      const connection$ = connect({
        transport: server.transport,
        credentials: () => ({ username: 'svc', password: `token-${++asked}` }),
        reconnect: { initialDelay: 100, jitter: 0 },
      });
      cold('----------x').subscribe(() => server.drop());
      // open at 0; dropped at 10; reconnected at 110 with the provider's next value
      expectObservable(connection$.pipe(map(() => 'c')), '^ 1000ms !').toBe('c 109ms c');
    });
    expect(logins).toEqual(['svc:token-1', 'svc:token-2']);
  });

  it('a refused login is retried with the provider asked again (the password changed)', () => {
    const ts = testScheduler();
    let current = 'old';
    const { server, logins } = loginServer({ accepted: () => [current] });
    ts.run(({ cold, expectObservable }) => {
      let source = 'old';
      const connection$ = connect({
        transport: server.transport,
        credentials: () => ({ username: 'svc', password: source }),
        reconnect: { initialDelay: 100, multiplier: 1, jitter: 0 },
      });
      // the broker's password changes at 10 and the connection is closed; the provider learns the new one at 150
      cold('----------x').subscribe(() => {
        current = 'new';
        server.drop();
      });
      cold('150ms x').subscribe(() => (source = 'new'));
      // 110: refused with the old value; 210: accepted with the new one
      expectObservable(connection$.pipe(map(() => 'c')), '^ 1000ms !').toBe('c 209ms c');
    });
    expect(logins).toEqual(['svc:old', 'svc:old', 'svc:new']);
  });

  it('a fixed pair refused is still not retried', () => {
    const ts = testScheduler();
    const { server } = loginServer({ accepted: () => ['right'] });
    ts.run(({ expectObservable }) => {
      const connection$ = connect({
        transport: server.transport,
        credentials: { username: 'svc', password: 'wrong' },
        reconnect: { initialDelay: 10 },
      });
      expectObservable(connection$, '^ 1000ms !').toBe(
        '#',
        undefined,
        expect.objectContaining({ name: 'AuthenticationError' }),
      );
    });
    expect(server.connections).toBe(1);
  });

  it('an Observable provider: the latest value logs in; a new value while connected is sent as update-secret; the next reconnect uses it', () => {
    const ts = testScheduler();
    const { server, logins } = loginServer();
    ts.run(({ cold, expectObservable }) => {
      const tokens = new BehaviorSubject<CredentialsValue>({ username: 'svc', password: 't1' });
      const connection$ = connect({
        transport: server.transport,
        credentials: tokens,
        reconnect: { initialDelay: 100, jitter: 0 },
      });
      cold('-----x').subscribe(() => tokens.next({ username: 'svc', password: 't2' }));
      cold('----------x').subscribe(() => server.drop());
      expectObservable(connection$.pipe(map(() => 'c')), '^ 1000ms !').toBe('c 109ms c');
    });
    expect(logins).toEqual(['svc:t1', 'svc:t2']);
    expect(secretsSent(server)).toEqual(['t2/credentials refreshed']);
  });

  it('an Observable provider without a value yet: the first attempt waits for one', () => {
    const ts = testScheduler();
    const { server, logins } = loginServer();
    ts.run(({ cold, expectObservable }) => {
      const tokens = new Subject<CredentialsValue>();
      cold('50ms x').subscribe(() => tokens.next({ username: 'svc', password: 'late' }));
      expectObservable(
        connect({ transport: server.transport, credentials: tokens }).pipe(map(() => 'c')),
        '^ 1000ms !',
      ).toBe('50ms c');
    });
    expect(logins).toEqual(['svc:late']);
    expect(secretsSent(server)).toEqual([]);
  });

  it('a value that arrives during the handshake is sent as update-secret once the connection opens; the same value twice is sent once', () => {
    const ts = testScheduler();
    const { server } = loginServer();
    const tokens = new BehaviorSubject<CredentialsValue>({ username: 'svc', password: 't1' });
    // the new value is pushed as the client's start-ok reaches the server (the login used t1)
    server.handle('connection.start-ok', (m) => {
      tokens.next({ username: 'svc', password: 't2' });
      server.autoAnswer(m);
    });
    ts.run(({ cold, expectObservable }) => {
      cold('-----x').subscribe(() => tokens.next({ username: 'svc', password: 't2' }));
      expectObservable(
        connect({ transport: server.transport, credentials: tokens }).pipe(map(() => 'c')),
        '^ 100ms !',
      ).toBe('c');
    });
    expect(secretsSent(server)).toEqual(['t2/credentials refreshed']);
  });

  it('a new username cannot be sent as update-secret: it is used from the next connection on', () => {
    const ts = testScheduler();
    const { server, logins } = loginServer();
    ts.run(({ cold, expectObservable }) => {
      const tokens = new BehaviorSubject<CredentialsValue>({ username: 'a', password: 't1' });
      cold('-----x').subscribe(() => tokens.next({ username: 'b', password: 't2' }));
      cold('----------x').subscribe(() => server.drop());
      const connection$ = connect({
        transport: server.transport,
        credentials: tokens,
        reconnect: { initialDelay: 100, jitter: 0 },
      });
      expectObservable(connection$.pipe(map(() => 'c')), '^ 1000ms !').toBe('c 109ms c');
    });
    expect(logins).toEqual(['a:t1', 'b:t2']);
    expect(secretsSent(server)).toEqual([]);
  });

  it('0-8 has no update-secret: a new value is used from the next connection on', () => {
    const ts = testScheduler();
    const { server, logins } = loginServer({ protocol: '0-8' });
    ts.run(({ cold, expectObservable }) => {
      const tokens = new BehaviorSubject<CredentialsValue>({ username: 'svc', password: 't1' });
      cold('-----x').subscribe(() => tokens.next({ username: 'svc', password: 't2' }));
      cold('----------x').subscribe(() => server.drop());
      const connection$ = connect({
        protocol: '0-8',
        transport: server.transport,
        credentials: tokens,
        reconnect: { initialDelay: 100, jitter: 0 },
      });
      expectObservable(connection$.pipe(map(() => 'c')), '^ 1000ms !').toBe('c 109ms c');
    });
    expect(logins).toEqual(['svc:t1', 'svc:t2']);
    expect(server.methods('connection.update-secret')).toEqual([]);
    expect(server.errors).toEqual([]);
  });

  it('a provider that throws: a typed error for that attempt, no socket opened; retried under reconnect', () => {
    const ts = testScheduler();
    const { server, logins } = loginServer();
    const failure = new Error('token endpoint down');
    let asked = 0;
    const provider = () => {
      if (++asked < 3) throw failure;
      return { username: 'svc', password: 'fresh' };
    };
    ts.run(({ expectObservable }) => {
      expectObservable(connect({ transport: server.transport, credentials: provider }), '^ 100ms !').toBe(
        '#',
        undefined,
        expect.objectContaining({ name: 'CredentialsProviderError', retryable: true, cause: failure }),
      );
    });
    expect(server.connections).toBe(0);
    const ts2 = testScheduler();
    ts2.run(({ expectObservable }) => {
      const statuses: string[] = [];
      const connection$ = connect({
        transport: server.transport,
        credentials: provider,
        reconnect: { initialDelay: 100, multiplier: 1, jitter: 0 },
        status: { next: (s) => statuses.push(s.state) },
      });
      // asked at 0 (throws: asked is 2), then at 100 (succeeds)
      expectObservable(connection$.pipe(map(() => 'c')), '^ 1000ms !').toBe('100ms c');
    });
    expect(logins).toEqual(['svc:fresh']);
  });

  it('an Observable provider that errors or completes empty, and a malformed value: not retried, no secret in the error', () => {
    const ts = testScheduler();
    const { server } = loginServer();
    ts.run(({ cold, expectObservable }) => {
      const policy = { initialDelay: 10 };
      expectObservable(
        connect({ transport: server.transport, credentials: cold<CredentialsValue>('5ms #'), reconnect: policy }),
        '^ 100ms !',
      ).toBe(
        '5ms #',
        undefined,
        expect.objectContaining({
          name: 'CredentialsProviderError',
          retryable: false,
          message: 'credentials Observable errored',
        }),
      );
      expectObservable(
        connect({ transport: server.transport, credentials: cold<CredentialsValue>('5ms |'), reconnect: policy }),
        '^ 100ms !',
      ).toBe('5ms #', undefined, expect.objectContaining({ name: 'CredentialsProviderError', retryable: false }));
      const malformed = () => ({ username: 42, password: 'sekrit-value' }) as unknown as CredentialsValue;
      expectObservable(
        connect({ transport: server.transport, credentials: malformed, reconnect: policy }),
        '^ 100ms !',
      ).toBe('#', undefined, expect.any(CredentialsProviderError));
    });
    expect(server.connections).toBe(0);
    let caught: unknown;
    connect({
      transport: server.transport,
      credentials: () => ({ username: 42, password: 'sekrit-value' }) as unknown as CredentialsValue,
    }).subscribe({ error: (e) => (caught = e) });
    expect(caught).toBeInstanceOf(CredentialsProviderError);
    expect(errorText(caught)).not.toContain('sekrit-value');
  });

  it('refuses a credentials option of the wrong shape up front', () => {
    let caught: unknown;
    connect({ credentials: { username: 'svc' } as unknown as CredentialsValue }).subscribe({
      error: (e) => (caught = e),
    });
    expect(caught).toBeInstanceOf(TypeError);
  });
});

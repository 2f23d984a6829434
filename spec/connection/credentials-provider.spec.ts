import { inspect } from 'node:util';
import { BehaviorSubject } from 'rxjs';
import { connect, CredentialsProviderError, type CredentialsValue } from 'rx-amqp';
import { fakeServer } from 'rx-amqp/testing';
import { connectFake, errorText, fakeOptions, openFake, record } from '../support/fake';

describe('connect({ credentials }) with an async provider (fake server)', () => {
  it('logs in with the value a Promise resolves to, asked per attempt', async () => {
    const passwords: string[] = [];
    const server = fakeServer({
      authenticate: (login) => {
        passwords.push(login.password ?? '');
        return true;
      },
    });
    let asked = 0;
    const outcome = await connectFake(server, {
      credentials: async () => ({ username: 'svc', password: `p${++asked}` }),
    });
    expect(outcome.values).toHaveLength(1);
    expect(passwords).toEqual(['p1']);
    outcome.subscription.unsubscribe();
    await server.idle();
  });

  it('a rejected Promise is a retryable CredentialsProviderError for that attempt, with the reason as cause', async () => {
    const server = fakeServer();
    const reason = new Error('vault sealed');
    const outcome = await connectFake(server, { credentials: () => Promise.reject(reason) });
    await new Promise((r) => setImmediate(r));
    expect(outcome.errored).toBe(true);
    expect(outcome.error).toBeInstanceOf(CredentialsProviderError);
    expect(outcome.error).toMatchObject({ message: 'credentials provider rejected', retryable: true, cause: reason });
    expect(server.connections).toBe(0);
  });

  it('a Promise of a malformed value is a non-retryable error that does not quote it', async () => {
    const server = fakeServer();
    const outcome = await connectFake(server, {
      credentials: async () => ({ user: 'svc', password: 'sekrit-async' }) as unknown as CredentialsValue,
    });
    await new Promise((r) => setImmediate(r));
    expect(outcome.error).toMatchObject({ name: 'CredentialsProviderError', retryable: false });
    expect(errorText(outcome.error)).not.toContain('sekrit-async');
  });

  it('a rejected attempt under reconnect is retried after the backoff, the provider asked again', async () => {
    const passwords: string[] = [];
    const server = fakeServer({
      authenticate: (login) => {
        passwords.push(login.password ?? '');
        return true;
      },
    });
    let asked = 0;
    const options = fakeOptions(server, {
      credentials: async () => {
        if (++asked === 1) throw new Error('not yet');
        return { username: 'svc', password: `p${asked}` };
      },
      reconnect: { initialDelay: 10, jitter: 0 },
    });
    const outcome = record(connect(options));
    await new Promise((r) => setImmediate(r));
    expect(outcome.values).toHaveLength(0);
    expect(outcome.errored).toBe(false);
    options.scheduler.flush(); // the backoff: the second attempt asks the provider again
    await server.idle();
    await new Promise((r) => setImmediate(r));
    await server.idle();
    expect(outcome.values).toHaveLength(1);
    expect(passwords).toEqual(['p2']);
    outcome.subscription.unsubscribe();
  });

  it.each([
    ['a pair', () => ({ username: 'svc', password: 'sekrit-pair' })],
    ['an Observable', () => new BehaviorSubject<CredentialsValue>({ username: 'svc', password: 'sekrit-pair' })],
    ['a function', () => () => ({ username: 'svc', password: 'sekrit-pair' })],
  ])('given as %s, the password does not show in inspect or JSON of the open connection', async (_, make) => {
    const server = fakeServer();
    const { connection } = await openFake(server, { credentials: make() });
    expect(inspect(connection, { depth: 8, showHidden: true })).not.toContain('sekrit-pair');
    expect(inspect(connection.core.options, { depth: 8, showHidden: true })).not.toContain('sekrit-pair');
    expect(JSON.stringify(connection.core.options, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(
      'sekrit-pair',
    );
    await connection.close();
  });
});

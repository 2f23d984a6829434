/**
 * connectionTimeout in virtual time: it bounds the TCP connect plus the whole handshake, is
 * cancelled by open-ok, and tells at which stage the server stalled.
 */
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { connect } from 'rx-amqp';
import { fakeServer, type FakeServer, type FakeServerOptions } from 'rx-amqp/testing';

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

const timedOut = (stage: RegExp) =>
  expect.objectContaining({ name: 'ConnectionTimeoutError', timeout: 5000, message: expect.stringMatching(stage) });

/** Runs one connect() against a fake server in virtual time; returns the server. */
function run(
  options: FakeServerOptions,
  expected: string,
  error?: unknown,
  script?: (server: FakeServer, scheduler: TestScheduler) => void,
): FakeServer {
  const scheduler = testScheduler();
  const server = fakeServer(options);
  scheduler.run(({ expectObservable }) => {
    script?.(server, scheduler);
    const connection$ = connect({ transport: server.transport, scheduler, connectionTimeout: 5000 }).pipe(
      map(() => 'c'),
    );
    expectObservable(connection$).toBe(expected, undefined, error);
  });
  return server;
}

describe('connectionTimeout', () => {
  it('fails a TCP connect that never completes', () => {
    const server = run({ connect: 'hang' }, '5000ms #', timedOut(/\(connecting\)/));
    expect(server.closedBy).toBe('client-destroy');
  });

  it('fails a server that accepts the connection but never sends connection.start', () => {
    const server = run({ silent: true }, '5000ms #', timedOut(/waiting for connection\.start/));
    expect(server.header).toBeDefined();
    expect(server.closedBy).toBe('client-destroy');
  });

  it('fails a server that stalls after start-ok', () => {
    const server = run({}, '5000ms #', timedOut(/waiting for connection\.tune/), (s) =>
      s.handle('connection.start-ok', () => undefined),
    );
    expect(server.methods('connection.start-ok')).toHaveLength(1);
  });

  it('fails a server that never answers connection.open', () => {
    const server = run({}, '5000ms #', timedOut(/waiting for connection\.open-ok/), (s) =>
      s.handle('connection.open', () => undefined),
    );
    expect(server.methods('connection.open')).toHaveLength(1);
    expect(server.closedBy).toBe('client-destroy');
  });

  it('is cancelled by open-ok: a connection opened in time lives on past it', () => {
    run({}, 'c');
  });

  it('a handshake finishing one ms before the limit opens; one ms after, it fails', () => {
    const tuneAfter = (delay: number) => (s: FakeServer, scheduler: TestScheduler) =>
      s.handle('connection.start-ok', () => {
        scheduler.schedule(() => s.tune(), delay);
      });
    run({}, '4999ms c', undefined, tuneAfter(4999));
    run({}, '5000ms #', timedOut(/waiting for connection\.tune/), tuneAfter(5001));
  });

  it('0 turns it off: a silent server is waited for forever', () => {
    const scheduler = testScheduler();
    const server = fakeServer({ silent: true });
    scheduler.run(({ expectObservable }) => {
      expectObservable(connect({ transport: server.transport, scheduler, connectionTimeout: 0 })).toBe('');
    });
    expect(server.isConnected).toBe(true);
  });
});

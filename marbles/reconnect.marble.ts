import { TestScheduler } from 'rxjs/testing';
import { asapScheduler, map } from 'rxjs';
import { connect, type ConnectionStatus, type TransportFactory } from 'rx-amqp';
import { fakeServer } from 'rx-amqp/testing';
import { backoffDelay } from '../lib/connection/backoff';

function testScheduler() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** A transport that refuses the next `refusals` attempts, then hands over to the fake server. */
function flakyTransport(server: ReturnType<typeof fakeServer>, log: Array<[number, string]>, now: () => number) {
  const state = { refusals: 0 };
  const transport: TransportFactory = (endpoint, events) => {
    log.push([now(), endpoint.hostname]);
    if (state.refusals > 0) {
      state.refusals--;
      asapScheduler.schedule(() =>
        events.closed(Object.assign(new Error(`connect ECONNREFUSED ${endpoint.hostname}`), { code: 'ECONNREFUSED' })),
      );
      return { write: () => true, end: () => undefined, destroy: () => undefined };
    }
    return server.transport(endpoint, events);
  };
  return { transport, state };
}

describe('reconnect (marbles)', () => {
  it('waits initialDelay × multiplier^n between attempts, rotating hosts, and emits the new connection', () => {
    const ts = testScheduler();
    const attempts: Array<[number, string]> = [];
    ts.run(({ cold, expectObservable }) => {
      const server = fakeServer();
      const { transport, state } = flakyTransport(server, attempts, () => ts.now());
      const connection$ = connect({
        hosts: ['a', 'b'],
        transport,
        reconnect: { initialDelay: 100, multiplier: 2, jitter: 0, maxDelay: 1000 },
      });
      cold('----------x').subscribe(() => {
        state.refusals = 2;
        server.drop();
      });
      // open on a at 0; dropped at 10; b refused at 110, a refused at 310, b accepted at 710
      expectObservable(connection$.pipe(map((c) => c.endpoint.hostname)), '^ 2000ms !').toBe('a 709ms b');
    });
    expect(attempts).toEqual([
      [0, 'a'],
      [110, 'b'],
      [310, 'a'],
      [710, 'b'],
    ]);
  });

  it('caps the delay at maxDelay and gives up after maxAttempts with the last error', () => {
    const ts = testScheduler();
    const attempts: Array<[number, string]> = [];
    const statuses: string[] = [];
    ts.run(({ expectObservable }) => {
      const server = fakeServer();
      const { transport, state } = flakyTransport(server, attempts, () => ts.now());
      state.refusals = 100;
      const connection$ = connect({
        hosts: ['h'],
        transport,
        reconnect: { initialDelay: 100, multiplier: 10, jitter: 0, maxDelay: 500, maxAttempts: 3 },
        status: { next: (s: ConnectionStatus) => statuses.push(s.state) },
      });
      // attempts at 0, 100 (+100), 600 (+500 capped); the 3rd failure uses up maxAttempts
      expectObservable(connection$.pipe(map(() => 'x')), '^ 3000ms !').toBe(
        '600ms #',
        undefined,
        expect.objectContaining({ name: 'ConnectionLostError' }),
      );
    });
    expect(attempts.map(([t]) => t)).toEqual([0, 100, 600]);
    expect(statuses).toEqual(['connecting', 'disconnected', 'connecting', 'disconnected', 'connecting', 'closed']);
  });

  it('maxAttempts: 1 makes one connection attempt and no retry', () => {
    const ts = testScheduler();
    const attempts: Array<[number, string]> = [];
    ts.run(({ expectObservable }) => {
      const server = fakeServer();
      const { transport, state } = flakyTransport(server, attempts, () => ts.now());
      state.refusals = 100;
      const connection$ = connect({
        hosts: ['h'],
        transport,
        reconnect: { initialDelay: 100, jitter: 0, maxAttempts: 1 },
      });
      expectObservable(connection$.pipe(map(() => 'x')), '^ 3000ms !').toBe(
        '#',
        undefined,
        expect.objectContaining({ name: 'ConnectionLostError' }),
      );
    });
    expect(attempts).toEqual([[0, 'h']]);
  });

  it('after an open connection is lost, makes at most maxAttempts reconnect attempts', () => {
    const ts = testScheduler();
    const attempts: Array<[number, string]> = [];
    ts.run(({ cold, expectObservable }) => {
      const server = fakeServer();
      const { transport, state } = flakyTransport(server, attempts, () => ts.now());
      const connection$ = connect({
        hosts: ['h'],
        transport,
        reconnect: { initialDelay: 100, multiplier: 2, jitter: 0, maxAttempts: 2 },
      });
      cold('----------x').subscribe(() => {
        state.refusals = 100;
        server.drop();
      });
      // open at 0; dropped at 10; reconnect attempts at 110 and 310, both refused: give up at 310
      expectObservable(connection$.pipe(map(() => 'x')), '^ 3000ms !').toBe(
        'x 309ms #',
        undefined,
        expect.objectContaining({ name: 'ConnectionLostError' }),
      );
    });
    expect(attempts.map(([t]) => t)).toEqual([0, 110, 310]);
  });

  it('does not retry a refused login', () => {
    const ts = testScheduler();
    const server = fakeServer({ authenticate: () => false });
    ts.run(({ expectObservable }) => {
      const connection$ = connect({ transport: server.transport, reconnect: { initialDelay: 10 } });
      expectObservable(connection$, '^ 1000ms !').toBe(
        '#',
        undefined,
        expect.objectContaining({ name: 'AuthenticationError', code: 403 }),
      );
    });
    expect(server.connections).toBe(1);
  });
});

describe('backoffDelay', () => {
  it('stays within ±jitter of the exponential base, capped at maxDelay', () => {
    const policy = { initialDelay: 100, multiplier: 2, jitter: 0.2, maxDelay: 5000, maxAttempts: Infinity };
    for (let attempt = 1; attempt <= 10; attempt++) {
      const base = Math.min(5000, 100 * 2 ** (attempt - 1));
      expect(backoffDelay(policy, attempt, () => 0)).toBe(Math.round(base * 0.8));
      expect(backoffDelay(policy, attempt, () => 0.5)).toBe(base);
      expect(backoffDelay(policy, attempt, () => 0.999999)).toBeLessThanOrEqual(5000);
      expect(backoffDelay(policy, attempt, () => 0.999999)).toBeGreaterThanOrEqual(
        Math.min(5000, Math.round(base * 1.19)),
      );
    }
  });
});

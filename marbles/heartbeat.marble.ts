/**
 * Heartbeats in virtual time (0-9-1 section 4.2.7): the client sends one every half interval
 * in which it wrote nothing, and declares the server dead after two whole intervals without a
 * single frame from it. The fake server delivers through asapScheduler, which
 * `TestScheduler.run()` virtualises, so the whole conversation runs in virtual time.
 */
import { filter, map, switchMap, take, tap, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { connect, HeartbeatTimeoutError } from 'rx-amqp';
import { fakeServer, type FakeServer } from 'rx-amqp/testing';

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** Heartbeat frames the client sent, as 'h' (checking each is the 8-byte channel-0 frame). */
function clientHeartbeats(server: FakeServer) {
  return server.frames$.pipe(
    filter((f) => f.type === 8),
    map((f) => (f.channel === 0 && f.payload.length === 0 ? 'h' : 'bad heartbeat frame')),
  );
}

const peerDead = expect.objectContaining({ name: 'HeartbeatTimeoutError', heartbeat: 2 });

// Every test negotiates a 2 s heartbeat: the client ticks every 1000 virtual ms.
describe('heartbeats', () => {
  it('are sent every half interval while the client is idle; a silent server is dead after two intervals', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const server = fakeServer({ tune: { heartbeat: 2 } });
      expectObservable(clientHeartbeats(server)).toBe('1000ms h 999ms h 999ms h');
      const connection$ = connect({ transport: server.transport, scheduler }).pipe(map(() => 'c'));
      expectObservable(connection$).toBe('c 3999ms #', undefined, peerDead);
    });
  });

  it('the timeout error is a HeartbeatTimeoutError, and the client drops the socket', () => {
    const scheduler = testScheduler();
    const server = fakeServer({ tune: { heartbeat: 2 } });
    let error: unknown;
    scheduler.run(() => {
      connect({ transport: server.transport, scheduler }).subscribe({ error: (e) => (error = e) });
    });
    expect(error).toBeInstanceOf(HeartbeatTimeoutError);
    expect(server.closedBy).toBe('client-destroy');
  });

  it('the client heartbeat option wins over the server proposal', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const server = fakeServer({ tune: { heartbeat: 60 } });
      expectObservable(clientHeartbeats(server)).toBe('1000ms h 999ms h 999ms h');
      expectObservable(connect({ transport: server.transport, scheduler, heartbeat: 2 }).pipe(map(() => 'c'))).toBe(
        'c 3999ms #',
        undefined,
        peerDead,
      );
    });
  });

  it('are not sent while the client writes, and resume once it stops', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const server = fakeServer({ tune: { heartbeat: 2 } });
      // The server's own heartbeats keep the connection alive until 4700, then it goes quiet.
      timer(700, 1000)
        .pipe(take(5))
        .subscribe(() => server.heartbeat());
      // The client publishes every 400 ms from 300 to 2700: every tick up to 3000 sees a write.
      const publishing$ = connect({ transport: server.transport, scheduler }).pipe(
        switchMap((c) => c.channel()),
        switchMap((ch) =>
          timer(300, 400).pipe(
            take(7),
            tap(() => ch.basicPublish('x', '', 'q')),
            map(() => 'p'),
          ),
        ),
      );
      expectObservable(publishing$).toBe(
        '300ms p 399ms p 399ms p 399ms p 399ms p 399ms p 399ms p 6299ms #',
        undefined,
        peerDead,
      );
      // Ticks at 1000, 2000, 3000 follow writes; 4000..8000 do not; 9000 declares the server dead
      // (its last frame came at 4700, ticks 6000..9000 heard nothing).
      expectObservable(clientHeartbeats(server)).toBe('4000ms h 999ms h 999ms h 999ms h 999ms h');
    });
  });

  it('a server that keeps sending heartbeats keeps the connection alive', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const server = fakeServer({ tune: { heartbeat: 2 } });
      // Every 2000 ms (its interval) from 1500 to 19500, then silence.
      timer(1500, 2000)
        .pipe(take(10))
        .subscribe(() => server.heartbeat());
      expectObservable(connect({ transport: server.transport, scheduler }).pipe(map(() => 'c'))).toBe(
        'c 23999ms #',
        undefined,
        peerDead,
      );
    });
  });

  it('the server is declared dead two whole intervals after its last frame, not before', () => {
    const cases: Array<[lastFrameAt: number, deadAt: number]> = [
      [999, 5000], // just before a tick: that tick hears it, four silent ticks follow
      [1001, 6000], // just after a tick: the next tick hears it
      [2500, 7000],
    ];
    for (const [lastFrameAt, deadAt] of cases) {
      const scheduler = testScheduler();
      scheduler.run(({ expectObservable }) => {
        const server = fakeServer({ tune: { heartbeat: 2 } });
        timer(lastFrameAt).subscribe(() => server.heartbeat());
        expectObservable(connect({ transport: server.transport, scheduler }).pipe(map(() => 'c'))).toBe(
          `c ${deadAt - 1}ms #`,
          undefined,
          peerDead,
        );
      });
      expect(deadAt - lastFrameAt).toBeGreaterThanOrEqual(4000);
      expect(deadAt - lastFrameAt).toBeLessThanOrEqual(5000);
    }
  });

  it('any frame from the server counts as a sign of life, not only heartbeats', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const server = fakeServer({ tune: { heartbeat: 2 } });
      timer(3500).subscribe(() => server.sendMethod(0, 'connection.blocked', { reason: 'x' }));
      expectObservable(connect({ transport: server.transport, scheduler }).pipe(map(() => 'c'))).toBe(
        'c 7999ms #',
        undefined,
        peerDead,
      );
    });
  });

  it('are off when either side asks for 0: no heartbeat, never dead', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const server = fakeServer({ tune: { heartbeat: 2 } });
      expectObservable(clientHeartbeats(server)).toBe('');
      expectObservable(connect({ transport: server.transport, scheduler, heartbeat: 0 }).pipe(map(() => 'c'))).toBe(
        'c',
      );
    });
  });
});

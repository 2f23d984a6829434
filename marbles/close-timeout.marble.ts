/**
 * closeTimeout bounds channel.close() and connection.close() in virtual time (issue 10,
 * item 4): a channel whose close the server never confirms ends at closeTimeout, its number
 * quarantined until a late close-ok; the connection's close settles at closeTimeout on every
 * path.
 */
import { endWith, ignoreElements, merge, NEVER, switchMap, timer, tap, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { connect, NotOpenError, type Channel, type Connection } from 'rx-amqp';
import { fakeServer, type FakeServer } from 'rx-amqp/testing';

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** 'settled' if the Promise has settled by the next macrotask, else 'pending'. */
async function state(p: Promise<unknown>): Promise<'settled' | 'pending'> {
  const settled = p.then(
    () => 'settled' as const,
    () => 'settled' as const,
  );
  return Promise.race([settled, new Promise<'pending'>((r) => setImmediate(() => r('pending')))]);
}

/** 'c' when a consumer of `ch` ends, 'r' when its returns$ ends: how a channel's observables end. */
function endings(ch: Channel): Observable<string> {
  return merge(
    ch.basicConsume('q').pipe(ignoreElements(), endWith('c')),
    ch.returns$.pipe(ignoreElements(), endWith('r')),
  );
}

function consumingServer(): FakeServer {
  const server = fakeServer({ answer: { channelClose: false } });
  server.answer('basic.consume', 'basic.consume-ok', { consumerTag: 'ct-1' });
  return server;
}

describe('channel.close() and closeTimeout', () => {
  it('ends the channel at closeTimeout when close-ok never comes: the Promise resolves, its observables complete', async () => {
    const ts = testScheduler();
    const server = consumingServer();
    let closing: Promise<void> | undefined;
    let channel: Channel | undefined;
    ts.run(({ expectObservable }) => {
      const observed$ = connect({ transport: server.transport, closeTimeout: 500 }).pipe(
        switchMap((c) => c.channel(1)),
        switchMap((ch) => {
          channel = ch;
          return merge(
            endings(ch),
            timer(10).pipe(
              tap(() => (closing = ch.close())),
              ignoreElements(),
            ),
          );
        }),
      );
      expectObservable(observed$, '^ 2000ms !').toBe('510ms (cr)');
    });
    expect(server.methods('channel.close').map((m) => m.channel)).toEqual([1]);
    expect(channel!.isOpen).toBe(false);
    expect(await state(closing!)).toBe('settled');
    await expect(closing).resolves.toBeUndefined();
    expect(await channel!.closed).toBeUndefined();
  });

  it('answered in time, it is not cut short, and leaves no timer behind', () => {
    const ts = testScheduler();
    const server = consumingServer();
    server.handle('channel.close', (m, s) => s.sendMethod(m.channel, 'channel.close-ok'));
    ts.run(({ expectObservable }) => {
      const observed$ = connect({ transport: server.transport, closeTimeout: 500 }).pipe(
        switchMap((c) => c.channel(1)),
        switchMap((ch) =>
          merge(
            endings(ch),
            timer(10).pipe(
              tap(() => void ch.close()),
              ignoreElements(),
            ),
          ),
        ),
      );
      expectObservable(observed$, '^ 2000ms !').toBe('10ms (cr)');
    });
    expect(ts.actions).toEqual([]);
  });

  it('quarantines the number until a late close-ok: frames meanwhile are dropped, the number is then free', () => {
    const ts = testScheduler();
    const server = consumingServer();
    let connection: Connection | undefined;
    const ids: Array<[number, number | string]> = [];
    ts.run(({ cold, expectObservable }) => {
      const observed$ = connect({ transport: server.transport, closeTimeout: 500 }).pipe(
        tap((c) => (connection = c)),
        switchMap((c) => c.channel(1)),
        switchMap((ch) =>
          merge(
            endings(ch),
            timer(10).pipe(
              tap(() => void ch.close()),
              ignoreElements(),
            ),
          ),
        ),
      );
      expectObservable(observed$, '^ 2000ms !').toBe('510ms (cr)');
      cold('600ms x').subscribe(() => {
        // The server's late deliveries for the quarantined channel are dropped, the connection lives.
        server.sendMethod(1, 'basic.deliver', {
          consumerTag: 'ct-1',
          deliveryTag: 1,
          redelivered: false,
          exchange: '',
          routingKey: 'q',
        });
        server.send(Buffer.from([2, 0, 1, 0, 0, 0, 14, 0, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xce]));
        connection!.channel(1).subscribe({ error: (e: Error) => ids.push([ts.now(), e.message]) });
        connection!.channel().subscribe((ch) => ids.push([ts.now(), ch.id]));
      });
      cold('700ms x').subscribe(() => server.sendMethod(1, 'channel.close-ok'));
      cold('800ms x').subscribe(() => connection!.channel(1).subscribe((ch) => ids.push([ts.now(), ch.id])));
      cold('900ms x').subscribe(() => ids.push([ts.now(), connection!.isOpen ? 'open' : 'closed']));
    });
    expect(ids).toEqual([
      [600, expect.stringMatching(/channel 1 cannot be reused yet/)],
      [600, 2],
      [800, 1],
      [900, 'open'],
    ]);
    expect(server.errors).toEqual([]);
  });

  it('a server channel.close for a quarantined channel is answered with close-ok and frees the number', () => {
    const ts = testScheduler();
    const server = consumingServer();
    let connection: Connection | undefined;
    const ids: number[] = [];
    ts.run(({ cold }) => {
      connect({ transport: server.transport, closeTimeout: 500 })
        .pipe(
          tap((c) => (connection = c)),
          switchMap((c) => c.channel(1)),
          switchMap((ch) =>
            timer(10).pipe(
              tap(() => void ch.close()),
              switchMap(() => NEVER),
            ),
          ),
        )
        .subscribe();
      cold('600ms x').subscribe(() =>
        server.sendMethod(1, 'channel.close', {
          replyCode: 406,
          replyText: 'PRECONDITION_FAILED',
          classId: 0,
          methodId: 0,
        }),
      );
      cold('700ms x').subscribe(() => connection!.channel().subscribe((ch) => ids.push(ch.id)));
    });
    expect(server.methods('channel.close-ok').map((m) => m.channel)).toEqual([1]);
    expect(ids).toEqual([1]);
    expect(connection!.isOpen).toBe(true);
  });

  it('waiting for confirms that never come, sends channel.close at closeTimeout and fails the unconfirmed publish', async () => {
    const ts = testScheduler();
    const server = fakeServer({ answer: { channelClose: false } });
    server.answer('confirm.select', 'confirm.select-ok');
    let closing: Promise<void> | undefined;
    ts.run(({ expectObservable }) => {
      const run$ = connect({ transport: server.transport, closeTimeout: 500 }).pipe(
        switchMap((c) => c.channel(1)),
        switchMap((ch) =>
          ch.confirmSelect().pipe(
            switchMap(() =>
              merge(
                ch.publish('m', '', 'q'),
                timer(10).pipe(
                  tap(() => (closing = ch.close())),
                  ignoreElements(),
                ),
              ),
            ),
          ),
        ),
      );
      expectObservable(run$, '^ 2000ms !').toBe('510ms #', undefined, expect.any(NotOpenError));
    });
    expect(await state(closing!)).toBe('settled');
    expect(server.methods('channel.close')).toHaveLength(1);
  });
});

describe('connection.close() and closeTimeout', () => {
  it('settles at closeTimeout when a channel waits for confirms and the server answers nothing', async () => {
    const ts = testScheduler();
    const server = fakeServer({ answer: { channelClose: false, connectionClose: false } });
    server.answer('confirm.select', 'confirm.select-ok');
    let closing: Promise<void> | undefined;
    let connection: Connection | undefined;
    ts.run(({ cold }) => {
      connect({ transport: server.transport, closeTimeout: 500 })
        .pipe(
          tap((c) => (connection = c)),
          switchMap((c) => c.channel(1)),
          switchMap((ch) => ch.confirmSelect().pipe(switchMap(() => ch.publish('m', '', 'q')))),
        )
        .subscribe({ error: () => undefined });
      cold('10ms x').subscribe(() => (closing = connection!.close()));
    });
    expect(connection!.state).toBe('closed');
    expect(await state(closing!)).toBe('settled');
    expect(ts.actions).toEqual([]);
  });
});

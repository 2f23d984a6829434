import { TestScheduler } from 'rxjs/testing';
import { asyncScheduler, config, map, of, take, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { publishTo, Message } from 'rx-amqp';
import { fakeChannel } from 'rx-amqp/testing';

function scheduler() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** Inside `run()`: a scheduler whose work runs `frames` virtual frames later (a slow broker). */
function later(frames: number): SchedulerLike {
  return {
    now: () => asyncScheduler.now(),
    schedule: <T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T) =>
      asyncScheduler.schedule(work, delay + frames, state),
  };
}

/** Errors RxJS could not deliver to anyone (it would report them as uncaught). */
let unhandled: unknown[] = [];
beforeEach(() => {
  unhandled = [];
  config.onUnhandledError = (e) => unhandled.push(e);
});
afterEach(() => {
  config.onUnhandledError = null;
  expect(unhandled).toEqual([]);
});

interface Order {
  id: number;
  region?: string;
}
const orders = (...regions: Array<string | undefined>): Order[] => regions.map((region, i) => ({ id: i + 1, region }));

describe('publishTo: a throwing routing-key function or toMessage fails that input only (marbles)', () => {
  it('ordered: the failed input gets one "failed" result in its input position; the others are published', () => {
    const published: string[] = [];
    scheduler().run(({ expectObservable }) => {
      const ch = fakeChannel();
      ch.published$.subscribe((p) => published.push(p.routingKey));
      const results = of(...orders('EU', undefined, 'US')).pipe(
        publishTo(ch, 'orders', (o) => o.region!.toLowerCase(), { confirm: true, window: 1 }),
        map((r) => `${r.value.id}:${r.status}${r.error ? `:${r.error.name}` : ''}`),
      );
      expectObservable(results).toBe('(abc|)', { a: '1:confirmed', b: '2:failed:TypeError', c: '3:confirmed' });
    });
    expect(published).toEqual(['eu', 'us']);
  });

  it('a throwing toMessage, ordered and unordered (an asynchronous source)', () => {
    const toMessage = (o: Order) => {
      if (!o.region) throw new RangeError('no region');
      return Message.json(o);
    };
    for (const ordered of [true, false]) {
      const published: number[] = [];
      scheduler().run(({ cold, expectObservable }) => {
        const ch = fakeChannel({ scheduler: later(2) });
        ch.published$.subscribe((p) => published.push(p.message.json<Order>().id));
        const [a, b, c] = orders('EU', undefined, 'US');
        const results = cold('a-b---c|', { a, b, c }).pipe(
          publishTo(ch, 'orders', 'new', { confirm: true, toMessage, ordered }),
          map((r) => `${r.value.id}:${r.status}`),
        );
        // The broker answers 2 frames late: confirm.select-ok at 2, so a is published at 2 and
        // confirmed at 4; b fails at 2; c is published at 6 and confirmed at 8. Ordered, b
        // waits for a; unordered, it overtakes it.
        if (ordered)
          expectObservable(results).toBe('----(ab)(c|)', { a: '1:confirmed', b: '2:failed', c: '3:confirmed' });
        else expectObservable(results).toBe('--b-a---(c|)', { a: '1:confirmed', b: '2:failed', c: '3:confirmed' });
      });
      expect(published).toEqual([1, 3]);
    }
  });

  it('when every input fails the stream still completes with one result each', () => {
    scheduler().run(({ expectObservable }) => {
      const ch = fakeChannel();
      const results = of(...orders(undefined, undefined)).pipe(
        publishTo(ch, 'orders', (o) => o.region!.toLowerCase(), { confirm: true }),
        map((r) => r.status),
      );
      expectObservable(results).toBe('(ab|)', { a: 'failed', b: 'failed' });
    });
  });
});

describe('publishTo: nothing is published after the operator errored or its subscriber left (marbles)', () => {
  it('a source error: nothing after it is published, even when the confirms of earlier inputs arrive later', () => {
    let published = 0;
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ scheduler: later(1) });
      ch.published$.subscribe(() => published++);
      const boom = new Error('source failed');
      // confirm.select-ok at 1; at 3 five inputs arrive and the source fails; a's confirm at 4
      const results = cold('---(abcde#)', { a: 'a', b: 'b', c: 'c', d: 'd', e: 'e' }, boom).pipe(
        publishTo(ch, '', 'q', { confirm: true, window: 1 }),
      );
      expectObservable(results).toBe('---#', undefined, boom);
    });
    expect(published).toBe(1);
  });

  it('a confirmSelect failure: nothing is published', () => {
    let published = 0;
    scheduler().run(({ expectObservable }) => {
      const ch = fakeChannel();
      ch.published$.subscribe(() => published++);
      ch.serverClose(406, 'PRECONDITION_FAILED - confirm.select refused');
      expectObservable(of('a', 'b').pipe(publishTo(ch, '', 'q', { confirm: true }))).toBe(
        '#',
        undefined,
        expect.anything(),
      );
    });
    expect(published).toBe(0);
  });

  for (const confirm of [true, false]) {
    it(`take(1) on the results with window 1 and five inputs publishes exactly one (${confirm ? 'confirms' : 'no confirms'})`, () => {
      let published = 0;
      scheduler().run(({ expectObservable }) => {
        const ch = fakeChannel({ scheduler: later(1) });
        ch.published$.subscribe(() => published++);
        const results = of('a', 'b', 'c', 'd', 'e').pipe(
          publishTo(ch, '', 'q', { confirm, window: 1 }),
          take(1),
          map((r) => r.status),
        );
        // with confirms: confirm.select-ok at 1, a published at 1, confirmed at 2
        expectObservable(results).toBe(confirm ? '--(a|)' : '(a|)', { a: confirm ? 'confirmed' : 'sent' });
      });
      expect(published).toBe(1);
    });
  }

  it('unsubscribing with a backlog of 50 publishes no more, and late confirms of what was written are dropped quietly', () => {
    let published = 0;
    let results = 0;
    scheduler().run(({ expectObservable }) => {
      const ch = fakeChannel({ scheduler: later(2) });
      ch.published$.subscribe(() => published++);
      const inputs = Array.from({ length: 60 }, (_, i) => `m${i}`);
      const out = of(...inputs).pipe(
        publishTo(ch, '', 'q', { confirm: true, window: 10 }),
        map(() => results++),
      );
      // confirm.select-ok at 2: the window (10) is written at 2; the subscriber leaves at 3,
      // before their confirms come (at 4)
      expectObservable(out, '^--!').toBe('');
    });
    expect(published).toBe(10);
    expect(results).toBe(0);
  });

  it('unsubscribing before the scheduled "sent" settle task ran: nothing more is published (no confirms)', () => {
    let published = 0;
    let results = 0;
    scheduler().run(({ cold }) => {
      const ch = fakeChannel();
      ch.published$.subscribe(() => published++);
      cold('-x').subscribe(() => {
        // a is written at once; its settle task is scheduled for later in this frame
        const sub = of('a', 'b', 'c', 'd', 'e')
          .pipe(publishTo(ch, '', 'q', { window: 1 }))
          .subscribe(() => results++);
        sub.unsubscribe();
      });
    });
    expect(published).toBe(1);
    expect(results).toBe(0);
  });
});

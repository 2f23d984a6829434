import { TestScheduler } from 'rxjs/testing';
import { asyncScheduler, map, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { publishTo, PublishOverflowError, type PublishToResult } from 'rx-amqp';
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

const show = (r: PublishToResult<string>) => `${r.value}:${r.status}${r.error ? `:${r.error.name}` : ''}`;

describe('publishTo timeout (marbles)', () => {
  it('an input still waiting to be published when its timeout passes fails and is never published', () => {
    const published: string[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      // the broker answers 10 frames late: confirm.select-ok at 10
      const ch = fakeChannel({ scheduler: later(10) });
      ch.published$.subscribe((p) => published.push(p.message.text));
      const results = cold('(a|)').pipe(publishTo(ch, '', 'q', { confirm: true, timeout: 5 }), map(show));
      expectObservable(results).toBe('-----(x|)', { x: 'a:failed:PublishTimeoutError' });
    });
    expect(published).toEqual([]);
  });

  it('a published message not confirmed in time gets one "failed" result; its late confirm is dropped', () => {
    const published: string[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ scheduler: later(10) });
      ch.published$.subscribe((p) => published.push(p.message.text));
      // a arrives at 12 (the channel is in confirm mode since 10) and is published; its confirm
      // would come at 22, its deadline is 17
      const results = cold('------------(a|)').pipe(publishTo(ch, '', 'q', { confirm: true, timeout: 5 }), map(show));
      expectObservable(results, '^ 40ms !').toBe('-----------------(x|)', { x: 'a:failed:PublishTimeoutError' });
    });
    expect(published).toEqual(['a']);
  });

  it('a timed-out message counts as settled for the window: the next input is published then', () => {
    const published: Array<[string, number]> = [];
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ scheduler: later(10) });
      ch.published$.subscribe((p) => published.push([p.message.text, ts.now()]));
      // window 1: a published at 12 (deadline 17), b arrives at 14 and waits; a times out at 17,
      // b is published at 17, its confirm would come at 27, its deadline is 19
      const results = cold('------------a-(b|)').pipe(
        publishTo(ch, '', 'q', { confirm: true, timeout: 5, window: 1 }),
        map(show),
      );
      expectObservable(results, '^ 40ms !').toBe('-----------------a-(b|)', {
        a: 'a:failed:PublishTimeoutError',
        b: 'b:failed:PublishTimeoutError',
      });
    });
    expect(published).toEqual([
      ['a', 12],
      ['b', 17],
    ]);
  });

  it('messages settled within their timeout are confirmed as usual', () => {
    const seen: Array<[string, number]> = [];
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ scheduler: later(2) });
      // confirm.select-ok at 2; a (1) and b (2) published at 2, confirmed at 4 (deadlines 7, 8);
      // c arrives at 5, is published at once and confirmed at 7 (deadline 11)
      const results = cold('-ab--c|').pipe(publishTo(ch, '', 'q', { confirm: true, timeout: 6 }), map(show));
      expectObservable(results.pipe(map((r) => (seen.push([r, ts.now()]), r))), '^ 40ms !');
    });
    expect(seen).toEqual([
      ['a:confirmed', 4],
      ['b:confirmed', 4],
      ['c:confirmed', 7],
    ]);
  });
});

describe('publishTo maxBuffered (marbles)', () => {
  it("overflow 'error': an input beyond maxBuffered waiting inputs errors the operator with a PublishOverflowError", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ scheduler: later(10) });
      const results = cold('(abc)').pipe(publishTo(ch, '', 'q', { confirm: true, maxBuffered: 2 }), map(show));
      expectObservable(results).toBe('#', undefined, new PublishOverflowError(2));
    });
  });

  it("overflow 'fail': that input gets one 'failed' result at once and the stream goes on", () => {
    const published: string[] = [];
    const seen: Array<[string, number]> = [];
    let completedAt = -1;
    const ts = scheduler();
    ts.run(({ cold }) => {
      const ch = fakeChannel({ scheduler: later(10) });
      ch.published$.subscribe((p) => published.push(p.message.text));
      // a, b wait for confirm.select-ok (10) and are confirmed at 20; c overflows at once;
      // d arrives at 18, when nothing waits, and is confirmed at 28
      const results = cold('(abc)-------------d|').pipe(
        publishTo(ch, '', 'q', { confirm: true, maxBuffered: 2, overflow: 'fail', ordered: false }),
        map(show),
      );
      results.subscribe({ next: (r) => seen.push([r, ts.now()]), complete: () => (completedAt = ts.now()) });
    });
    expect(seen).toEqual([
      ['c:failed:PublishOverflowError', 0],
      ['a:confirmed', 20],
      ['b:confirmed', 20],
      ['d:confirmed', 28],
    ]);
    expect(completedAt).toBe(28);
    expect(published).toEqual(['a', 'b', 'd']);
  });
});

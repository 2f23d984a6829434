import { TestScheduler } from 'rxjs/testing';
import { catchError, defer, delay, EMPTY, map, merge, of, take, throwError, type Observable } from 'rxjs';
import { ackAfterBatch, consume, type Delivery } from 'rx-amqp';
import { delivery, fakeChannel, settles, type FakeChannel } from 'rx-amqp/testing';

function testScheduler() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** A settle frame the code under test wrote, stamped with its virtual frame. */
interface Written {
  at: number;
  method: string;
  tag: unknown;
  multiple?: unknown;
  requeue?: unknown;
}

/** Records the basic.ack / basic.nack / basic.reject frames written on `ch`. */
function settleFrames(
  ch: FakeChannel,
  scheduler: TestScheduler,
  log: Array<Written | string> = [],
): Array<Written | string> {
  ch.methods$.subscribe(({ name, args }) => {
    if (name === 'basic.ack')
      log.push({ at: scheduler.now(), method: name, tag: args.deliveryTag, multiple: args.multiple });
    else if (name === 'basic.nack' || name === 'basic.reject')
      log.push({ at: scheduler.now(), method: name, tag: args.deliveryTag, requeue: args.requeue });
  });
  return log;
}

const texts = (batch: Delivery[]) => batch.map((d) => d.text).join(',');

describe('ackAfterBatch (marbles)', () => {
  it('flushes a batch when it holds `size` deliveries, the rest after `time`; acks each batch with one multiple ack before emitting', () => {
    const s = testScheduler();
    const log: Array<Written | string> = [];
    s.run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ queues: { jobs: cold('-abcde', { a: '1', b: '2', c: '3', d: '4', e: '5' }) } });
      settleFrames(ch, s, log);
      const out = of(ch).pipe(
        consume('jobs'),
        ackAfterBatch((batch) => of(texts(batch)), { size: 2, time: 5 }),
        map((r) => {
          log.push(`emit ${r}`);
          return r;
        }),
      );
      // [1,2] full at frame 2, [3,4] at 4; [5] alone arrives at 5 and leaves 5 ms later.
      expectObservable(out).toBe('--a-b-----c', { a: '1,2', b: '3,4', c: '5' });
    });
    expect(log).toEqual([
      { at: 2, method: 'basic.ack', tag: 2, multiple: true },
      'emit 1,2',
      { at: 4, method: 'basic.ack', tag: 4, multiple: true },
      'emit 3,4',
      { at: 10, method: 'basic.ack', tag: 5, multiple: false },
      'emit 5',
    ]);
  });

  it('starts the clock at a batch’s first delivery: no empty batches, none older than `time`', () => {
    const s = testScheduler();
    s.run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ queues: { jobs: cold('-a-b------c-------d', { a: '1', b: '2', c: '3', d: '4' }) } });
      const out = of(ch).pipe(
        consume('jobs'),
        ackAfterBatch((batch) => of(texts(batch)), { size: 10, time: 4 }),
      );
      expectObservable(out).toBe('-----a--------b-------c', { a: '1,2', b: '3', c: '4' });
      expectObservable(ch.acks$).toBe('-----(ab)-----c-------d', { a: 1, b: 2, c: 3, d: 4 });
    });
  });

  it('concurrency 1: batches run one after the other and their results come in order', () => {
    const s = testScheduler();
    const log: Array<Written | string> = [];
    s.run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ queues: { jobs: cold('-abcd', { a: '1', b: '2', c: '3', d: '4' }) } });
      settleFrames(ch, s, log);
      // The first batch takes 5 frames, the second 1: the second waits for the first.
      const work = (batch: Delivery[]) => of(texts(batch)).pipe(delay(batch[0].text === '1' ? 5 : 1));
      const out = of(ch).pipe(consume('jobs'), ackAfterBatch(work, { size: 2, time: 100 }));
      expectObservable(out).toBe('-------ab', { a: '1,2', b: '3,4' });
    });
    expect(log).toEqual([
      { at: 7, method: 'basic.ack', tag: 2, multiple: true },
      { at: 8, method: 'basic.ack', tag: 4, multiple: true },
    ]);
  });

  it('concurrency 2: a quicker later batch finishes first and is acked singly; the earlier one then with one multiple ack', () => {
    const s = testScheduler();
    const log: Array<Written | string> = [];
    s.run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ queues: { jobs: cold('-abcd', { a: '1', b: '2', c: '3', d: '4' }) } });
      settleFrames(ch, s, log);
      const work = (batch: Delivery[]) => of(texts(batch)).pipe(delay(batch[0].text === '1' ? 5 : 1));
      const out = of(ch).pipe(consume('jobs'), ackAfterBatch(work, { size: 2, time: 100, concurrency: 2 }));
      expectObservable(out).toBe('-----b-a', { a: '1,2', b: '3,4' });
    });
    // A multiple ack of 4 would ack 1 and 2, still being processed: the broker must not see one.
    expect(log).toEqual([
      { at: 5, method: 'basic.ack', tag: 3, multiple: false },
      { at: 5, method: 'basic.ack', tag: 4, multiple: false },
      { at: 7, method: 'basic.ack', tag: 2, multiple: true },
    ]);
  });

  it('a batch that fails (asynchronously or by throwing) is settled per onError and the stream goes on', () => {
    const s = testScheduler();
    const log: Array<Written | string> = [];
    s.run(({ cold, expectObservable }) => {
      const ch = fakeChannel({
        queues: {
          jobs: cold('-abcdef', {
            a: delivery('ok'),
            b: delivery('ok'),
            c: delivery('err'),
            d: delivery('err', { redelivered: true }),
            e: delivery('throw'),
            f: delivery('ok'),
          }),
        },
      });
      settleFrames(ch, s, log);
      const work = (batch: Delivery[]): Observable<string> => {
        if (batch[0].text === 'throw') throw new Error('sync failure');
        return batch[0].text === 'err' ? throwError(() => new Error('async failure')) : of(texts(batch));
      };
      const out = of(ch).pipe(consume('jobs'), ackAfterBatch(work, { size: 2, time: 100 }));
      expectObservable(out).toBe('--a-----', { a: 'ok,ok' });
    });
    // Default policy: a first delivery is requeued, a redelivered one rejected (dead-lettered).
    expect(log).toEqual([
      { at: 2, method: 'basic.ack', tag: 2, multiple: true },
      { at: 4, method: 'basic.nack', tag: 3, requeue: true },
      { at: 4, method: 'basic.nack', tag: 4, requeue: false },
      { at: 6, method: 'basic.nack', tag: 5, requeue: true },
      { at: 6, method: 'basic.nack', tag: 6, requeue: true },
    ]);
  });

  it('onError chooses per delivery; an onError that throws falls back to the default', () => {
    const s = testScheduler();
    const log: Array<Written | string> = [];
    const seen: number[] = [];
    s.run(({ cold }) => {
      const ch = fakeChannel({ queues: { jobs: cold('-abcd', { a: 'x', b: 'y', c: 'boom', d: 'z' }) } });
      settleFrames(ch, s, log);
      of(ch)
        .pipe(
          consume('jobs'),
          ackAfterBatch(() => throwError(() => new Error('fails')), {
            size: 2,
            time: 100,
            onError: (_e, d, batch) => {
              seen.push(batch.length);
              if (d.text === 'boom') throw new Error('onError itself fails');
              return d.text === 'x' ? 'ack' : 'reject';
            },
          }),
        )
        .subscribe();
    });
    expect(seen).toEqual([2, 2, 2, 2]);
    expect(log).toEqual([
      // The nack of 2 first writes the ack of 1 queued before it.
      { at: 2, method: 'basic.ack', tag: 1, multiple: false },
      { at: 2, method: 'basic.nack', tag: 2, requeue: false },
      { at: 4, method: 'basic.nack', tag: 3, requeue: true }, // the fallback: first delivery, requeued
      { at: 4, method: 'basic.nack', tag: 4, requeue: false },
    ]);
  });

  it('source completion (a drain) processes the partial batch, then completes', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const [a, b, c] = [delivery('1'), delivery('2'), delivery('3')];
      const out = cold('-a-b-c-|', { a, b, c }).pipe(
        ackAfterBatch((batch) => of(texts(batch)).pipe(delay(2)), { size: 2, time: 100 }),
      );
      // [1,2] at 3 done at 5; [3] flushed by the completion at 7, done at 9.
      expectObservable(out).toBe('-----a---(b|)', { a: '1,2', b: '3' });
    });
  });

  it('unsubscribing abandons the unfinished batches: nothing of them is acked (the broker redelivers)', () => {
    const s = testScheduler();
    const names: string[] = [];
    s.run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ queues: { jobs: cold('-abcde', { a: '1', b: '2', c: '3', d: '4', e: '5' }) } });
      ch.methods$.subscribe((m) =>
        names.push(
          m.name === 'basic.ack'
            ? `ack ${String(m.args.deliveryTag)} ${m.args.multiple ? 'multiple' : 'single'}`
            : m.name,
        ),
      );
      const work = (batch: Delivery[]) => of(texts(batch)).pipe(delay(3));
      // [1,2] is done at 5 and taken; [3,4] is in flight, [5] waits in the next batch.
      const out = of(ch).pipe(consume('jobs'), ackAfterBatch(work, { size: 2, time: 100 }), take(1));
      expectObservable(out).toBe('-----(a|)', { a: '1,2' });
      expectObservable(ch.acks$).toBe('-----(ab)', { a: 1, b: 2 });
    });
    expect(names).toEqual(['basic.consume', 'ack 2 multiple', 'basic.cancel']);
  });

  it('deliveries of different channels in one batch never share a multiple ack: each channel acks its own', () => {
    const s = testScheduler();
    const first: Array<Written | string> = [];
    const second: Array<Written | string> = [];
    s.run(({ cold }) => {
      const one = fakeChannel({ queues: { jobs: cold('-a-b', { a: '1a', b: '1b' }) } });
      const two = fakeChannel({ queues: { jobs: cold('--a-b', { a: '2a', b: '2b' }) } });
      settleFrames(one, s, first);
      settleFrames(two, s, second);
      merge(of(one).pipe(consume('jobs')), of(two).pipe(consume('jobs')))
        .pipe(ackAfterBatch((batch) => of(texts(batch)), { size: 4, time: 100 }))
        .subscribe();
    });
    expect(first).toEqual([{ at: 4, method: 'basic.ack', tag: 2, multiple: true }]);
    expect(second).toEqual([{ at: 4, method: 'basic.ack', tag: 2, multiple: true }]);
  });

  it('leaves out of a batch the deliveries whose channel closed while the batch waited its turn (the broker redelivers them)', () => {
    const s = testScheduler();
    const projected: string[] = [];
    const onOne: Array<Written | string> = [];
    s.run(({ cold, expectObservable }) => {
      const one = fakeChannel({ queues: { jobs: cold('---ab', { a: '1a', b: '1b' }) } });
      const two = fakeChannel({ queues: { jobs: cold('-ab', { a: '2a', b: '2b' }) } });
      settleFrames(one, s, onOne);
      // Channel one is closed by the server at frame 5 (its consumer stream ends with it).
      cold('-----x').subscribe(() => one.serverClose(320, 'CONNECTION_FORCED'));
      const source = merge(
        of(one).pipe(
          consume('jobs'),
          catchError(() => EMPTY),
        ),
        of(two).pipe(consume('jobs')),
      );
      const work = (batch: Delivery[]) => {
        projected.push(texts(batch));
        return of(texts(batch)).pipe(delay(5));
      };
      // [2a,2b] runs from 2 to 7; [1a,1b], complete at 4, waits, and at 7 its channel is gone.
      expectObservable(source.pipe(ackAfterBatch(work, { size: 2, time: 100 }))).toBe('-------a', { a: '2a,2b' });
      expectObservable(two.acks$).toBe('-------(ab)', { a: 1, b: 2 });
    });
    expect(projected).toEqual(['2a,2b']);
    expect(onOne).toEqual([]);
  });

  it('leaves alone deliveries the project settled itself; works on standalone deliveries (testing kit)', () => {
    const [a, b] = [delivery('keep'), delivery('self')];
    testScheduler().run(({ cold, expectObservable }) => {
      const out = cold('-ab|', { a, b }).pipe(
        ackAfterBatch((batch) =>
          defer(() => {
            batch[1].nack(false);
            return of(batch.length);
          }),
        ),
      );
      expectObservable(out).toBe('---(x|)', { x: 2 });
    });
    expect(settles(a)).toEqual([{ kind: 'ack', deliveryTag: a.deliveryTag, multiple: false, requeue: false }]);
    expect(settles(b)).toEqual([{ kind: 'nack', deliveryTag: b.deliveryTag, multiple: false, requeue: false }]);
  });

  it('refuses bad options with a RangeError', () => {
    expect(() => ackAfterBatch(() => of(1), { size: 0 })).toThrow(RangeError);
    expect(() => ackAfterBatch(() => of(1), { size: 1.5 })).toThrow(RangeError);
    expect(() => ackAfterBatch(() => of(1), { time: 0 })).toThrow(RangeError);
    expect(() => ackAfterBatch(() => of(1), { size: Infinity, time: Infinity })).toThrow(RangeError);
    expect(() => ackAfterBatch(() => of(1), { concurrency: 0 })).toThrow(RangeError);
  });
});

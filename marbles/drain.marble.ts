import { TestScheduler } from 'rxjs/testing';
import { concat, delay, finalize, map, NEVER, of } from 'rxjs';
import { consume, ackAfter, ackAfterBatch, ackEach } from 'rx-amqp';
import { fakeChannel } from 'rx-amqp/testing';

function scheduler() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('consume(queue, { until }) graceful drain (marbles)', () => {
  it('cancels the consumer, lets ackAfter finish and ack what is in hand, completes, and lets the channel go after the acks', () => {
    const log: string[] = [];
    scheduler().run(({ cold, hot, expectObservable, flush }) => {
      const ch = fakeChannel({ queues: { jobs: cold('-a-b-c-d', { a: 'A', b: 'B', c: 'C', d: 'D' }) } });
      ch.methods$.subscribe((m) => log.push(m.name === 'basic.ack' ? `ack ${String(m.args.deliveryTag)}` : m.name));
      // like connect(): the channel stream never completes by itself
      const channels = concat(of(ch), NEVER).pipe(finalize(() => log.push('channel released')));
      const stop = hot('----s');
      const out = channels.pipe(
        consume('jobs', { until: stop }),
        ackAfter((d) => of(d.text).pipe(delay(3)), { concurrency: 2 }),
      );
      // a (frame 1) done at 4, b (frame 3) done at 6; c and d are never delivered
      expectObservable(out).toBe('----a-(b|)', { a: 'A', b: 'B' });
      expectObservable(ch.acks$).toBe('----a-b', { a: 1, b: 2 });
      flush();
    });
    // the cancel goes out at frame 4, before that frame's batched ack of a
    expect(log).toEqual(['basic.consume', 'basic.cancel', 'ack 1', 'ack 2', 'channel released']);
  });

  it('completes at once when nothing is in flight, and ackEach flushes before the channel goes', () => {
    const log: string[] = [];
    scheduler().run(({ cold, hot, expectObservable, flush }) => {
      const ch = fakeChannel({ queues: { jobs: cold('-(ab)', { a: 'A', b: 'B' }) } });
      ch.methods$.subscribe((m) => log.push(m.name));
      const channels = concat(of(ch), NEVER).pipe(finalize(() => log.push('channel released')));
      const out = channels.pipe(
        consume('jobs', { until: hot('-----s') }),
        ackEach(),
        map((d) => d.text),
      );
      expectObservable(out).toBe('-(ab)|', { a: 'A', b: 'B' });
      flush();
    });
    expect(log).toEqual(['basic.consume', 'basic.ack', 'basic.cancel', 'channel released']);
  });

  it('ackAfterBatch processes the partial batch, acks it, then completes', () => {
    const log: string[] = [];
    scheduler().run(({ cold, hot, expectObservable, flush }) => {
      const ch = fakeChannel({ queues: { jobs: cold('-a-b-c', { a: 'A', b: 'B', c: 'C' }) } });
      ch.methods$.subscribe((m) => log.push(m.name));
      const out = concat(of(ch), NEVER).pipe(
        finalize(() => log.push('channel released')),
        consume('jobs', { until: hot('----s') }),
        ackAfterBatch((batch) => of(batch.map((d) => d.text).join('')).pipe(delay(2)), {
          size: 10,
          time: 100,
          scheduler: undefined,
        }),
      );
      expectObservable(out).toBe('------(x|)', { x: 'AB' });
      expectObservable(ch.acks$).toBe('------(ab)', { a: 1, b: 2 });
      flush();
    });
    expect(log).toEqual(['basic.consume', 'basic.cancel', 'basic.ack', 'channel released']);
  });

  it('an until that emits before any channel arrives completes the stream', () => {
    scheduler().run(({ hot, cold, expectObservable }) => {
      const ch = fakeChannel({ queues: { jobs: cold('-a', { a: 'A' }) } });
      const channels = concat(cold('---c', { c: ch }), NEVER);
      expectObservable(channels.pipe(consume('jobs', { until: hot('-s') }))).toBe('-|');
    });
  });

  it('an error of until errors the stream (as with takeUntil)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ queues: { jobs: cold('-a', { a: 'A' }) } });
      const out = concat(of(ch), NEVER).pipe(
        consume('jobs', { until: cold('--#', {}, new Error('boom')) }),
        map((d) => d.text),
      );
      expectObservable(out).toBe('-a#', { a: 'A' }, new Error('boom'));
    });
  });
});

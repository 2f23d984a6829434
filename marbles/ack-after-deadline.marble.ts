import { TestScheduler } from 'rxjs/testing';
import { NEVER, Observable, concat, of } from 'rxjs';
import { ackAfter, ackAfterBatch, consume, HandlerTimeoutError, NotOpenError, type Delivery } from 'rx-amqp';
import { fakeChannel } from 'rx-amqp/testing';

function scheduler() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('ackAfter timeout and signal (marbles)', () => {
  it('a handler past its timeout sees its signal abort, its delivery is settled per onError, its late completion is ignored', () => {
    const reasons: unknown[] = [];
    const errors: unknown[] = [];
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ queues: { jobs: cold('-a-b', { a: 'slow', b: 'fast' }) } });
      const project = (d: Delivery, signal: AbortSignal) => {
        signal.addEventListener('abort', () => reasons.push(signal.reason));
        // slow: completes at 10 frames, after its 5-frame deadline; fast: 2 frames
        return cold(d.text === 'slow' ? '----------(x|)' : '--(x|)', { x: d.text });
      };
      const out = of(ch).pipe(
        consume('jobs'),
        ackAfter(project, {
          concurrency: 2,
          timeout: 5,
          scheduler: ts,
          onError: (e) => (errors.push(e), 'reject'),
        }),
      );
      expectObservable(out, '^ 20ms !').toBe('-----x', { x: 'fast' });
      expectObservable(ch.acks$).toBe('-----b', { b: 2 });
      expectObservable(ch.nacks$).toBe('------a', { a: { deliveryTag: 1, requeue: false } });
    });
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(HandlerTimeoutError);
    expect(errors).toEqual([reasons[0]]);
  });

  it('a handler that finishes in time is acked; its signal never aborts', () => {
    let aborted = false;
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ queues: { jobs: cold('-a', { a: 'A' }) } });
      const out = of(ch).pipe(
        consume('jobs'),
        ackAfter(
          (d, signal) => {
            signal.addEventListener('abort', () => (aborted = true));
            return cold('----(x|)', { x: d.text });
          },
          { timeout: 5, scheduler: ts },
        ),
      );
      expectObservable(out, '^ 20ms !').toBe('-----x', { x: 'A' });
      expectObservable(ch.acks$).toBe('-----a', { a: 1 });
    });
    expect(aborted).toBe(false);
  });

  it("losing the delivery's channel aborts the signal; nothing is settled", async () => {
    const ch = fakeChannel({ queues: { jobs: of('A') } });
    const signals: AbortSignal[] = [];
    const settled: string[] = [];
    ch.methods$.subscribe((m) => settled.push(m.name));
    const sub = concat(of(ch), NEVER)
      .pipe(
        consume('jobs'),
        ackAfter((_d, signal) => {
          signals.push(signal);
          return new Observable<never>(() => undefined);
        }),
      )
      .subscribe({ error: () => undefined });
    await new Promise((r) => setTimeout(r, 0));
    expect(signals).toHaveLength(1);
    expect(signals[0].aborted).toBe(false);
    ch.serverClose(406, 'PRECONDITION_FAILED');
    await new Promise((r) => setTimeout(r, 0));
    expect(signals[0].aborted).toBe(true);
    expect(signals[0].reason).toBeInstanceOf(NotOpenError);
    expect(settled.filter((n) => n.startsWith('basic.') && n !== 'basic.consume')).toEqual([]);
    sub.unsubscribe();
  });
});

describe('ackAfterBatch timeout and signal (marbles)', () => {
  it('a batch past its timeout sees its signal abort and each of its deliveries is settled per onError', () => {
    const reasons: unknown[] = [];
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ queues: { jobs: cold('-ab-cd', { a: 'A', b: 'B', c: 'C', d: 'D' }) } });
      const out = of(ch).pipe(
        consume('jobs'),
        ackAfterBatch<string>(
          (batch, signal) => {
            signal.addEventListener('abort', () => reasons.push(signal.reason));
            // the first batch (A, B at 2) is stuck; the second (C, D at 5) takes 2 frames
            return batch[0].text === 'A' ? NEVER : cold('--(x|)', { x: batch.map((d) => d.text).join('') });
          },
          { size: 2, time: 100, timeout: 4, concurrency: 2, scheduler: ts, onError: 'reject' },
        ),
      );
      expectObservable(out, '^ 20ms !').toBe('-------x', { x: 'CD' });
      expectObservable(ch.nacks$).toBe('------(ab)', {
        a: { deliveryTag: 1, requeue: false },
        b: { deliveryTag: 2, requeue: false },
      });
      expectObservable(ch.acks$).toBe('-------(cd)', { c: 3, d: 4 });
    });
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(HandlerTimeoutError);
  });
});

/**
 * Testing consumer logic without a broker: fakeChannel and marbles (rx-amqp/testing).
 *
 * `fakeChannel({ queues })` is a real Channel whose broker is a fake in the same process: its
 * consumers get what the marbles of `queues` emit, and `acks$`, `nacks$`, `published$` record
 * what the code under test sent. With RxJS's TestScheduler, time is virtual: the worker below
 * "works" for 10 ms per dot, and the test takes no time at all. Here node:assert is the
 * assertion; in jest it would be `expect(actual).toEqual(expected)`.
 *
 *   npm run example -- testing-without-a-broker
 */
import { deepStrictEqual } from 'node:assert';
import { map, of, throwError, timer, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ackAfter, consume, type Channel } from 'rx-amqp';
import { fakeChannel } from 'rx-amqp/testing';

/** The code under test: tutorial 2's worker. A task fails if it says so. */
function worker(channel$: Observable<Channel>): Observable<string> {
  return channel$.pipe(
    consume('tasks'),
    ackAfter((task) => {
      if (task.text.startsWith('poison')) return throwError(() => new Error('bad task'));
      const dots = task.text.split('.').length - 1;
      return timer(dots * 10).pipe(map(() => `did '${task.text}'`));
    }),
  );
}

new TestScheduler((actual, expected) => deepStrictEqual(actual, expected)).run(({ cold, expectObservable }) => {
  // Three tasks arrive at frames 1, 3 and 5.
  const channel = fakeChannel({ queues: { tasks: cold('-a-b-c', { a: 'one.', b: 'poison', c: 'three...' }) } });

  // One task at a time: 'one.' takes 10 frames (done at 11); 'poison' fails at once (11);
  // 'three...' then takes 30 (done at 41).
  expectObservable(worker(of(channel))).toBe('11ms a 29ms b', { a: "did 'one.'", b: "did 'three...'" });
  // Each task is acked when its work is done; the failed one is nacked and requeued (a first
  // delivery; a redelivered one would be rejected, i.e. dead-lettered).
  expectObservable(channel.acks$).toBe('11ms a 29ms b', { a: 1, b: 3 });
  expectObservable(channel.nacks$).toBe('11ms a', { a: { deliveryTag: 2, requeue: true } });
});
console.log(
  'marble test passed: tasks 1 and 3 acked after their work (frames 11 and 41), task 2 nacked and requeued (frame 11)',
);

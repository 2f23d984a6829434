// README "Testing your consumers" (verbatim): rx-amqp and rx-amqp/testing must share their types.
import { TestScheduler } from 'rxjs/testing';
import { of } from 'rxjs';
import { consume, ackAfter } from 'rx-amqp';
import { fakeChannel, delivery } from 'rx-amqp/testing';

it('acks each job once it is handled', () => {
  new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
    const channel = fakeChannel({ queues: { jobs: cold('-a-b', { a: delivery('1'), b: delivery('2') }) } });
    const handled = of(channel).pipe(consume('jobs'), ackAfter((job) => of(Number(job.text) * 10)));
    expectObservable(handled).toBe('-a-b', { a: 10, b: 20 });
    expectObservable(channel.acks$).toBe('-a-b', { a: 1, b: 2 });
  });
});

import { TestScheduler } from 'rxjs/testing';
import { map } from 'rxjs';
import { consume, ackEach } from 'rx-amqp';
import { fakeChannel, delivery } from 'rx-amqp/testing';

function scheduler() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

const at = (offset: number) => delivery(`m${offset}`, { properties: { headers: { 'x-stream-offset': offset } } });

describe('consume on a stream across a reconnect (marbles)', () => {
  it('resumes right after the last offset received, not at the offset it was given', () => {
    const offsets: unknown[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const first = fakeChannel({ queues: { events: cold('-a-b-c', { a: at(0), b: at(1), c: at(2) }) } });
      const second = fakeChannel({ queues: { events: cold('-d-e', { d: at(3), e: at(4) }) } });
      for (const ch of [first, second]) {
        ch.methods$.subscribe((m) => {
          if (m.name === 'basic.consume')
            offsets.push((m.args.arguments as Record<string, unknown>)['x-stream-offset']);
        });
      }
      // the second channel arrives as after a reconnect
      const channels = cold('a-------b', { a: first, b: second });
      expectObservable(
        channels.pipe(
          consume('events', { offset: 'first' }),
          ackEach(),
          map((d) => d.text),
        ),
      ).toBe('-a-b-c---d-e', {
        a: 'm0',
        b: 'm1',
        c: 'm2',
        d: 'm3',
        e: 'm4',
      });
    });
    expect(offsets).toEqual(['first', 3]);
  });

  it('starts each subscription afresh at the offset it was given', () => {
    const offsets: unknown[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ queues: { events: cold('-a-b', { a: at(0), b: at(1) }) } });
      ch.methods$.subscribe((m) => {
        if (m.name === 'basic.consume') offsets.push((m.args.arguments as Record<string, unknown>)['x-stream-offset']);
      });
      const consumer = cold('a', { a: ch }).pipe(
        consume('events', { offset: 'first' }),
        map((d) => d.text),
      );
      expectObservable(consumer, '^--!').toBe('-a-', { a: 'm0' });
      expectObservable(consumer, '----^').toBe('-----a-b', { a: 'm0', b: 'm1' });
    });
    expect(offsets).toEqual(['first', 'first']);
  });

  it('leaves consumers of other queues as they are', () => {
    const seen: unknown[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const first = fakeChannel({ queues: { jobs: cold('-a', { a: delivery('1') }) } });
      const second = fakeChannel({ queues: { jobs: cold('-b', { b: delivery('2') }) } });
      for (const ch of [first, second]) {
        ch.methods$.subscribe((m) => {
          if (m.name === 'basic.consume') seen.push(m.args.arguments);
        });
      }
      expectObservable(
        cold('a---b', { a: first, b: second }).pipe(
          consume('jobs'),
          ackEach(),
          map((d) => d.text),
        ),
      ).toBe('-a---b', { a: '1', b: '2' });
    });
    expect(seen).toEqual([{}, {}]);
  });
});

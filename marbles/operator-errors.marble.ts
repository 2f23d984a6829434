import { TestScheduler } from 'rxjs/testing';
import { config, map, of, Subject, throwError, type ObservableInput } from 'rxjs';
import { consume, ackAfter, serveRpc, type Delivery } from 'rx-amqp';
import { fakeChannel, delivery } from 'rx-amqp/testing';

function scheduler() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
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

/** A handler in the README's shape: parses the job synchronously, then works asynchronously. */
function handle(job: { n: number }): ObservableInput<string> {
  return of(`done ${job.n}`);
}

describe('ackAfter: a handler that throws synchronously fails that one delivery (marbles)', () => {
  it('a sync throw in project nacks that delivery (requeue on first delivery) and the stream goes on', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({
        queues: { jobs: cold('-a-b-c', { a: delivery('{"n":1}'), b: delivery('{bad json'), c: delivery('{"n":3}') }) },
      });
      const processed = of(ch).pipe(
        consume('jobs'),
        ackAfter((job) => handle(job.json())),
      );
      expectObservable(processed).toBe('-a---c', { a: 'done 1', c: 'done 3' });
      expectObservable(ch.acks$).toBe('-a---c', { a: 1, c: 3 });
      expectObservable(ch.nacks$).toBe('---b', { b: { deliveryTag: 2, requeue: true } });
    });
  });

  it('a redelivered message that throws synchronously again is rejected (dead-lettered), with concurrency', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({
        queues: {
          jobs: cold('-(ab)-c', {
            a: delivery('{bad', { redelivered: true }),
            b: delivery('{"n":2}'),
            c: delivery('{"n":3}'),
          }),
        },
      });
      const processed = of(ch).pipe(
        consume('jobs'),
        ackAfter((job) => handle(job.json()), { concurrency: 4 }),
      );
      expectObservable(processed).toBe('-b----c', { b: 'done 2', c: 'done 3' });
      expectObservable(ch.nacks$).toBe('-a', { a: { deliveryTag: 1, requeue: false } });
      expectObservable(ch.acks$).toBe('-b----c', { b: 2, c: 3 });
    });
  });

  it('a project that returns no ObservableInput (a plain sync function) fails that delivery with a TypeError', () => {
    const errors: unknown[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ queues: { jobs: cold('-a-b', { a: 'sync', b: 'async' }) } });
      const processed = of(ch).pipe(
        consume('jobs'),
        ackAfter(
          (d): ObservableInput<string> =>
            d.text === 'sync' ? (undefined as unknown as ObservableInput<string>) : of(d.text),
          {
            onError: (e) => {
              errors.push(e);
              return 'reject';
            },
          },
        ),
      );
      expectObservable(processed).toBe('---b', { b: 'async' });
      expectObservable(ch.nacks$).toBe('-a', { a: { deliveryTag: 1, requeue: false } });
      expectObservable(ch.acks$).toBe('---b', { b: 2 });
    });
    expect(errors).toEqual([expect.any(TypeError)]);
  });

  it('an onError function that throws falls back to the default action and the stream goes on', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({
        queues: {
          jobs: cold('-a-b-c-d', {
            a: delivery('bad'),
            b: delivery('bad', { redelivered: true }),
            c: delivery('good'),
            d: delivery('bad'),
          }),
        },
      });
      const processed = of(ch).pipe(
        consume('jobs'),
        ackAfter((d) => (d.text === 'bad' ? throwError(() => new Error('boom')) : of(d.text)), {
          onError: () => {
            throw new Error('onError itself fails');
          },
        }),
      );
      expectObservable(processed).toBe('-----c', { c: 'good' });
      expectObservable(ch.nacks$).toBe('-a-b---d', {
        a: { deliveryTag: 1, requeue: true },
        b: { deliveryTag: 2, requeue: false },
        d: { deliveryTag: 4, requeue: true },
      });
      expectObservable(ch.acks$).toBe('-----c', { c: 3 });
    });
  });

  it('an onError function that throws after a sync project throw also falls back to the default', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ queues: { jobs: cold('-a-b', { a: delivery('{bad'), b: delivery('{"n":2}') }) } });
      const processed = of(ch).pipe(
        consume('jobs'),
        ackAfter((job) => handle(job.json()), {
          onError: () => {
            throw new Error('onError itself fails');
          },
        }),
      );
      expectObservable(processed).toBe('---b', { b: 'done 2' });
      expectObservable(ch.nacks$).toBe('-a', { a: { deliveryTag: 1, requeue: true } });
    });
  });
});

describe('serveRpc: a handler that throws does not stop the server (marbles)', () => {
  const request = (text: string, id: string, redelivered = false) =>
    delivery(text, { redelivered, properties: { correlationId: id, replyTo: 'client' } });

  it('a sync throw nacks that request (requeue once, then reject) and later calls are answered', () => {
    const replies: string[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({
        queues: {
          rpc: cold('-a-b-c-d', {
            a: request('1', 'c1'),
            b: request('boom', 'c2'),
            c: request('boom', 'c2', true),
            d: request('4', 'c4'),
          }),
        },
      });
      ch.published$.subscribe((p) =>
        replies.push(`${p.routingKey} ${p.message.properties.correlationId} ${p.message.text}`),
      );
      const served = of(ch).pipe(
        serveRpc('rpc', (req) => {
          if (req.text === 'boom') throw new Error('handler bug');
          return of(`re ${req.text}`);
        }),
        map((s) => s.reply.text),
      );
      expectObservable(served).toBe('-a-----d', { a: 're 1', d: 're 4' });
      expectObservable(ch.nacks$).toBe('---b-c', {
        b: { deliveryTag: 2, requeue: true },
        c: { deliveryTag: 3, requeue: false },
      });
      expectObservable(ch.acks$).toBe('-a-----d', { a: 1, d: 4 });
    });
    expect(replies).toEqual(['client c1 re 1', 'client c4 re 4']);
  });

  it('a throwing next handler (map over the answer) or a handler returning no ObservableInput fails that request only', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({
        queues: {
          rpc: cold('-a-b-c', { a: request('map', 'c1'), b: request('nothing', 'c2'), c: request('ok', 'c3') }),
        },
      });
      const served = of(ch).pipe(
        serveRpc(
          'rpc',
          (req): ObservableInput<string> => {
            if (req.text === 'nothing') return undefined as unknown as ObservableInput<string>;
            return of(req.text).pipe(
              map((t) => {
                if (t === 'map') throw new Error('bad answer');
                return `re ${t}`;
              }),
            );
          },
          { onError: 'reject' },
        ),
        map((s) => s.reply.text),
      );
      expectObservable(served).toBe('-----c', { c: 're ok' });
      expectObservable(ch.nacks$).toBe('-a-b', {
        a: { deliveryTag: 1, requeue: false },
        b: { deliveryTag: 2, requeue: false },
      });
    });
  });

  it('an answer toMessage cannot turn into a Message fails that request only', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ queues: { rpc: cold('-a-b', { a: request('bad', 'c1'), b: request('ok', 'c2') }) } });
      const served = of(ch).pipe(
        serveRpc('rpc', (req) => of(req.text === 'bad' ? ({ not: 'a body' } as unknown as string) : 're ok')),
        map((s) => s.reply.text),
      );
      expectObservable(served).toBe('---b', { b: 're ok' });
      expectObservable(ch.nacks$).toBe('-a', { a: { deliveryTag: 1, requeue: true } });
    });
  });
});

describe('serveRpc + ackAfter: the subject under test receives each delivery once', () => {
  it('a hot source of deliveries: the stream survives a sync throw in the middle of a burst', () => {
    const seen: string[] = [];
    scheduler().run(({ hot, expectObservable }) => {
      const source = new Subject<Delivery>();
      hot('-(abc)').subscribe((k) => source.next(delivery(k === 'b' ? '{bad' : `{"n":"${k}"}`)));
      const processed = source.pipe(
        ackAfter((d) => {
          seen.push(d.text);
          return handle(d.json());
        }),
      );
      expectObservable(processed).toBe('-(ac)', { a: 'done a', c: 'done c' });
    });
    expect(seen).toEqual(['{"n":"a"}', '{bad', '{"n":"c"}']);
  });
});

import { TestScheduler } from 'rxjs/testing';
import { map, of, take, delay, throwError } from 'rxjs';
import { consume, ackEach, ackAfter, declareExchange, declareQueue, bindQueue, publishTo, Message } from 'rx-amqp';
import { fakeChannel, delivery } from 'rx-amqp/testing';

function scheduler() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('consume + ackEach (marbles)', () => {
  it('delivers each message of the queue and acks it in the same frame', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({
        queues: { jobs: cold('-a-b--c', { a: delivery('1'), b: delivery('2'), c: delivery('3') }) },
      });
      expectObservable(
        of(ch).pipe(
          consume('jobs'),
          ackEach(),
          map((d) => d.text),
        ),
      ).toBe('-a-b--c', { a: '1', b: '2', c: '3' });
      expectObservable(ch.acks$).toBe('-a-b--c', { a: 1, b: 2, c: 3 });
    });
  });

  it('coalesces the acks of one tick into one basic.ack multiple', () => {
    const frames: Array<{ deliveryTag: unknown; multiple: unknown }> = [];
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ queues: { jobs: cold('-(abc)-d', { a: 'x', b: 'y', c: 'z', d: 'w' }) } });
      ch.methods$.subscribe((m) => {
        if (m.name === 'basic.ack') frames.push({ deliveryTag: m.args.deliveryTag, multiple: m.args.multiple });
      });
      expectObservable(
        of(ch).pipe(
          consume('jobs'),
          ackEach(),
          map((d) => d.deliveryTag),
        ),
      ).toBe('-(abc)-d', { a: 1, b: 2, c: 3, d: 4 });
      expectObservable(ch.acks$).toBe('-(abc)-d', { a: 1, b: 2, c: 3, d: 4 });
    });
    expect(frames).toEqual([
      { deliveryTag: 3, multiple: true },
      { deliveryTag: 4, multiple: false },
    ]);
  });

  it('unsubscribing sends basic.cancel and writes pending acks first', () => {
    const names: string[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ queues: { jobs: cold('-(ab)', { a: 'x', b: 'y' }) } });
      ch.methods$.subscribe((m) => names.push(m.name));
      expectObservable(
        of(ch).pipe(
          consume('jobs'),
          ackEach(),
          take(2),
          map((d) => d.deliveryTag),
        ),
      ).toBe('-(ab|)', { a: 1, b: 2 });
      expectObservable(ch.acks$).toBe('-(ab)', { a: 1, b: 2 });
    });
    expect(names).toEqual(['basic.consume', 'basic.ack', 'basic.cancel']);
  });
});

describe('ackAfter (marbles)', () => {
  it('acks when the projection completes and only then emits its results', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ queues: { jobs: cold('-a-b', { a: delivery('1'), b: delivery('2') }) } });
      const processed = of(ch).pipe(
        consume('jobs'),
        ackAfter((d) => of(`done ${d.text}`).pipe(delay(3))),
      );
      // concurrency 1: b (frame 3) waits for a to finish (frame 4), then takes 3 frames.
      expectObservable(processed).toBe('----a--b', { a: 'done 1', b: 'done 2' });
      expectObservable(ch.acks$).toBe('----a--b', { a: 1, b: 2 });
    });
  });

  it('nacks a failed delivery (requeue on first delivery) and goes on', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ queues: { jobs: cold('-a-b', { a: delivery('bad'), b: delivery('good') }) } });
      const processed = of(ch).pipe(
        consume('jobs'),
        ackAfter((d) => (d.text === 'bad' ? throwError(() => new Error('boom')) : of(d.text))),
      );
      expectObservable(processed).toBe('---b', { b: 'good' });
      expectObservable(ch.nacks$).toBe('-a', { a: { deliveryTag: 1, requeue: true } });
      expectObservable(ch.acks$).toBe('---b', { b: 2 });
    });
  });

  it('rejects (dead-letters) a redelivered message that fails again', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ queues: { jobs: cold('-a', { a: delivery('bad', { redelivered: true }) }) } });
      const processed = of(ch).pipe(
        consume('jobs'),
        ackAfter(() => throwError(() => new Error('boom'))),
      );
      expectObservable(processed).toBe('--');
      expectObservable(ch.nacks$).toBe('-a', { a: { deliveryTag: 1, requeue: false } });
    });
  });

  it('take(n) downstream never leaves a processed message unacked', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ queues: { jobs: cold('-abc', { a: 'x', b: 'y', c: 'z' }) } });
      const processed = of(ch).pipe(
        consume('jobs'),
        ackAfter((d) => of(d.text)),
        take(2),
      );
      expectObservable(processed).toBe('-a(b|)', { a: 'x', b: 'y' });
      expectObservable(ch.acks$).toBe('-ab', { a: 1, b: 2 });
    });
  });
});

describe('topology operators (marbles)', () => {
  it('declare and bind run in order before the channel is passed on; "" names the declared queue', () => {
    scheduler().run(({ expectObservable }) => {
      const ch = fakeChannel();
      const names: Array<[string, unknown]> = [];
      ch.methods$.subscribe((m) => names.push([m.name, m.args.queue]));
      const out = of(ch).pipe(
        declareQueue('', { exclusive: true }),
        bindQueue('', 'amq.fanout'),
        map((c) => c.lastQueue),
      );
      expectObservable(out).toBe('(a|)', { a: 'amq.gen-fake-1' });
      ch.methods$.subscribe({ complete: () => undefined });
    });
  });
});

describe('topology recovery (marbles)', () => {
  it('does not declare again a queue, exchange or binding the application deleted', () => {
    const sent: string[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel();
      ch.methods$.subscribe((m) => sent.push(`${m.name} ${String(m.args.queue ?? m.args.exchange ?? '')}`));
      // the application deletes the entities at frame 1; a recovered channel arrives at frame 3
      cold('-a').subscribe(() => {
        ch.queueDelete('jobs').subscribe();
        ch.exchangeDelete('events').subscribe();
      });
      const channels = cold('a--b', { a: ch, b: ch });
      const setup = channels.pipe(
        declareExchange('events', 'topic'),
        declareQueue('jobs'),
        bindQueue('jobs', 'events', '#'),
        map(() => 'ready'),
      );
      expectObservable(setup).toBe('a--b', { a: 'ready', b: 'ready' });
    });
    expect(sent).toEqual([
      'exchange.declare events',
      'queue.declare jobs',
      'queue.bind jobs',
      'queue.delete jobs',
      'exchange.delete events',
    ]);
  });
});

describe('publishTo (marbles)', () => {
  it('never has more than the window in flight and emits results in input order', () => {
    let published = 0;
    let settled = 0;
    let maxInFlight = 0;
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel();
      ch.published$.subscribe(() => {
        published++;
        maxInFlight = Math.max(maxInFlight, published - settled);
      });
      const inputs = cold('(abcdefg|)', { a: 'a', b: 'b', c: 'c', d: 'd', e: 'e', f: 'f', g: 'g' });
      const results = inputs.pipe(
        publishTo(ch, 'ex', 'key', { confirm: true, window: 2 }),
        map((r) => {
          settled++;
          return `${r.value}:${r.status}`;
        }),
      );
      expectObservable(results).toBe('(abcdefg|)', {
        a: 'a:confirmed',
        b: 'b:confirmed',
        c: 'c:confirmed',
        d: 'd:confirmed',
        e: 'e:confirmed',
        f: 'f:confirmed',
        g: 'g:confirmed',
      });
    });
    expect(published).toBe(7);
    expect(maxInFlight).toBe(2);
  });

  it('reports nacks as results', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ confirm: (p) => (p.message.text === 'b' ? 'nack' : 'ack') });
      const results = cold('a-b-c|').pipe(
        publishTo(ch, '', 'q', { confirm: true }),
        map((r) => r.status),
      );
      expectObservable(results).toBe('a-b-c|', { a: 'confirmed', b: 'nacked', c: 'confirmed' });
    });
  });

  it('publishes Messages with their properties', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel();
      const msg = new Message('hi', { messageId: 'm1', headers: { n: 1 } });
      // published$ is hot: it shows what happens after its subscription (frame 0).
      cold('-a|', { a: msg })
        .pipe(publishTo(ch, 'ex', 'rk', { confirm: true }))
        .subscribe();
      expectObservable(
        ch.published$.pipe(map((p) => [p.exchange, p.routingKey, p.message.properties.messageId, p.message.headers])),
      ).toBe('-a', { a: ['ex', 'rk', 'm1', { n: 1 }] });
    });
  });
});

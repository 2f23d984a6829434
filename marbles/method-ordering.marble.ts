/**
 * Ordering in virtual time: one synchronous method outstanding per channel (0-9-1 section
 * 2.2.2), the rest sent in order only after each reply; channels do not wait for each other;
 * and the demultiplexer hands each channel its frames in the order they arrived.
 */
import { defer, EMPTY, filter, map, merge, switchMap, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { connect, type Channel } from 'rx-amqp';
import { bodyFrame, concatBytes, fakeServer, headerFrame, methodFrame, type FakeServer } from 'rx-amqp/testing';

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** The server answers queue.declare `delay` virtual ms after it arrives. */
function answerDeclaresAfter(server: FakeServer, scheduler: TestScheduler, delay: (queue: string) => number): void {
  server.handle('queue.declare', (m, s) => {
    const queue = m.args.queue;
    scheduler.schedule(
      () => s.reply(m, 'queue.declare-ok', { queue, messageCount: 0, consumerCount: 0 }),
      delay(queue),
    );
  });
}

/** The queue names of queue.declare as the server receives them. */
function declaresReceived(server: FakeServer, channel?: number): Observable<string> {
  return server.received$.pipe(
    filter((m) => m.name === 'queue.declare' && (channel === undefined || m.channel === channel)),
    map((m) => m.args.queue as string),
  );
}

describe('synchronous methods on one channel', () => {
  it('one is outstanding at a time; the next is sent only after the reply, in order', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const server = fakeServer();
      answerDeclaresAfter(server, scheduler, () => 10);
      const results$ = connect({ transport: server.transport, scheduler }).pipe(
        switchMap((c) => c.channel()),
        switchMap((ch) => merge(ch.queueDeclare('a'), ch.queueDeclare('b'), ch.queueDeclare('c'))),
        map((ok) => ok.queue),
      );
      expectObservable(declaresReceived(server)).toBe('a 9ms b 9ms c');
      expectObservable(results$).toBe('10ms a 9ms b 9ms c');
    });
  });

  it('a slow reply holds the methods behind it, whatever their kind', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const server = fakeServer();
      answerDeclaresAfter(server, scheduler, () => 50);
      server.handle('basic.qos', (m, s) => s.reply(m, 'basic.qos-ok'));
      const received$ = server.received$.pipe(
        filter((m) => m.channel === 1 && m.name !== 'channel.open'),
        map((m) =>
          m.name === 'queue.declare' ? 'd' : m.name === 'basic.qos' ? 'q' : m.name === 'basic.publish' ? 'p' : '?',
        ),
      );
      const results$ = connect({ transport: server.transport, scheduler }).pipe(
        switchMap((c) => c.channel()),
        switchMap((ch: Channel) =>
          merge(
            ch.queueDeclare('slow').pipe(map(() => 'D')),
            ch.basicQos(5).pipe(map(() => 'Q')),
            // basic.publish is asynchronous: it does not queue behind the outstanding declare.
            defer(() => {
              ch.basicPublish('x', '', 'q');
              return EMPTY;
            }),
          ),
        ),
      );
      expectObservable(received$).toBe('(dp) 46ms q');
      expectObservable(results$).toBe('50ms (DQ)');
    });
  });

  it('channels do not wait for each other', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const server = fakeServer();
      answerDeclaresAfter(server, scheduler, (q) => (q.startsWith('slow') ? 30 : 5));
      const connection$ = connect({ transport: server.transport, scheduler });
      const results$ = connection$.pipe(
        switchMap((c) =>
          merge(
            c.channel(1).pipe(switchMap((ch) => merge(ch.queueDeclare('slow-1'), ch.queueDeclare('slow-2')))),
            c.channel(2).pipe(switchMap((ch) => merge(ch.queueDeclare('fast-1'), ch.queueDeclare('fast-2')))),
          ),
        ),
        map((ok) => ok.queue[0] + ok.queue[ok.queue.length - 1]),
      );
      expectObservable(declaresReceived(server, 1).pipe(map((q) => q[q.length - 1]))).toBe('1 29ms 2');
      expectObservable(declaresReceived(server, 2).pipe(map((q) => q[q.length - 1]))).toBe('1 4ms 2');
      expectObservable(results$).toBe('5ms a 4ms b 19ms c 29ms d', { a: 'f1', b: 'f2', c: 's1', d: 's2' });
    });
  });
});

describe('demultiplexing', () => {
  it('frames of interleaved channels reach each channel in the order they arrived', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable, cold }) => {
      const server = fakeServer();
      server.answer('basic.consume', 'basic.consume-ok', (m) => ({ consumerTag: `ct${m.channel}` }));
      const deliver = (ch: number, tag: number) =>
        methodFrame(ch, 'basic.deliver', { consumerTag: `ct${ch}`, deliveryTag: tag });
      // Three chunks of interleaved frames of channels 1 and 2, the content of each message
      // spread over chunks.
      const chunks = {
        x: concatBytes(deliver(1, 1), deliver(2, 1), headerFrame(1, 4), headerFrame(2, 2), bodyFrame(1, 'a1')),
        y: concatBytes(
          bodyFrame(2, 'b1'),
          bodyFrame(1, '..'),
          deliver(2, 2),
          headerFrame(2, 2),
          deliver(1, 2),
          headerFrame(1, 2),
        ),
        z: concatBytes(bodyFrame(1, 'a2'), bodyFrame(2, 'b2')),
      };
      const consume = (ch: Channel) => ch.basicConsume('q').pipe(map((d) => `ch${ch.id} ${d.deliveryTag}:${d.text}`));
      const deliveries$ = connect({ transport: server.transport, scheduler }).pipe(
        switchMap((c) => merge(c.channel(1).pipe(switchMap(consume)), c.channel(2).pipe(switchMap(consume)))),
      );
      expectObservable(deliveries$).toBe('15ms (ba) - (cd)', {
        a: 'ch1 1:a1..',
        b: 'ch2 1:b1',
        c: 'ch1 2:a2',
        d: 'ch2 2:b2',
      });
      cold('10ms x 4ms y 4ms z', chunks).subscribe((bytes) => server.send(bytes));
    });
  });
});

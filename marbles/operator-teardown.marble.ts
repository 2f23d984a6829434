/**
 * What each operator does on a server consumer cancel and on channel loss (the README's
 * "Errors and teardown" table), over the fake channel.
 */
import { TestScheduler } from 'rxjs/testing';
import { config, delay, map, of, Subject, type Observable } from 'rxjs';
import {
  consume,
  ackEach,
  ackAfter,
  publishTo,
  rpcCall,
  serveRpc,
  ChannelClosedError,
  ConsumerCancelledError,
  DIRECT_REPLY_TO,
  type Message,
} from 'rx-amqp';
import { fakeChannel, delivery, type FakeChannel } from 'rx-amqp/testing';

function scheduler() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** Cancels the channel's consumers from the server side when `at` emits. */
function cancelAt(ch: FakeChannel, at: Observable<unknown>): void {
  at.subscribe(() => {
    for (const tag of ch.consumerTags) ch.serverCancel(tag);
  });
}

describe('a server consumer cancel (marbles)', () => {
  it('consume + ackEach: the stream errors with ConsumerCancelledError after the pending acks are written', () => {
    const names: string[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ queues: { jobs: cold('-a-b', { a: 'x', b: 'y' }) } });
      ch.methods$.subscribe((m) => names.push(m.name));
      cancelAt(ch, cold('--c'));
      expectObservable(
        of(ch).pipe(
          consume('jobs'),
          ackEach(),
          map((d) => d.text),
        ),
      ).toBe('-a#', { a: 'x' }, expect.any(ConsumerCancelledError));
      expectObservable(ch.acks$).toBe('-a', { a: 1 });
    });
    expect(names).toEqual(['basic.consume', 'basic.ack']);
  });

  it('ackAfter: the error passes on; a delivery still being processed is abandoned, not acked', () => {
    let acked = 0;
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ queues: { jobs: cold('-a', { a: 'x' }) } });
      ch.acks$.subscribe(() => acked++);
      cancelAt(ch, cold('--c'));
      const processed = of(ch).pipe(
        consume('jobs'),
        ackAfter((d) => of(d.text).pipe(delay(5))),
      );
      expectObservable(processed).toBe('--#', undefined, expect.any(ConsumerCancelledError));
    });
    expect(acked).toBe(0);
  });

  it('serveRpc: errors with ConsumerCancelledError', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({
        queues: { rpc: cold('-a', { a: delivery('1', { properties: { correlationId: 'c1', replyTo: 'client' } }) }) },
      });
      cancelAt(ch, cold('--c'));
      const served = of(ch).pipe(
        serveRpc('rpc', (req) => of(`re ${req.text}`)),
        map((s) => s.reply.text),
      );
      expectObservable(served).toBe('-a#', { a: 're 1' }, expect.any(ConsumerCancelledError));
    });
  });

  it('rpcCall: a call waiting for its reply errors with ConsumerCancelledError when the reply consumer is cancelled', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ queues: { [DIRECT_REPLY_TO]: new Subject<Message>() } });
      cancelAt(ch, cold('--c'));
      expectObservable(rpcCall(ch, 'service', 'ping', { timeout: 100 })).toBe(
        '--#',
        undefined,
        expect.any(ConsumerCancelledError),
      );
    });
  });
});

describe('channel loss (marbles)', () => {
  it('consume + ackAfter: the channel error passes on; nothing is acked on the closed channel', () => {
    let acked = 0;
    scheduler().run(({ cold, expectObservable }) => {
      const ch = fakeChannel({ queues: { jobs: cold('-a', { a: 'x' }) } });
      ch.acks$.subscribe(() => acked++);
      cold('--c').subscribe(() => ch.serverClose(406, 'PRECONDITION_FAILED - unknown delivery tag 9'));
      const processed = of(ch).pipe(
        consume('jobs'),
        ackAfter((d) => of(d.text).pipe(delay(5))),
      );
      expectObservable(processed).toBe('--#', undefined, expect.any(ChannelClosedError));
    });
    expect(acked).toBe(0);
  });

  // The channel's loss reaches publishTo through a Promise (`closed`), which virtual time does
  // not flush: this one runs on the real asap scheduler.
  it('publishTo on a plain Channel: errors with the channel error; nothing more is published', async () => {
    const ch = fakeChannel();
    let published = 0;
    ch.published$.subscribe(() => published++);
    const inputs = new Subject<string>();
    const results: string[] = [];
    const ended = new Promise<unknown>((resolve) =>
      inputs
        .pipe(publishTo(ch, '', 'q'))
        .subscribe({ next: (r) => results.push(r.status), error: resolve, complete: () => resolve('completed') }),
    );
    inputs.next('a');
    await new Promise((r) => setImmediate(r));
    ch.serverClose(504, 'CHANNEL_ERROR');
    expect(await ended).toBeInstanceOf(ChannelClosedError);
    inputs.next('b');
    await new Promise((r) => setImmediate(r));
    expect(results).toEqual(['sent']);
    expect(published).toBe(1);
  });
});

describe('rpcCall with a request that is no Message, string or bytes (marbles)', () => {
  it('errors the call with a TypeError instead of throwing out of a subscriber callback', () => {
    const unhandled: unknown[] = [];
    config.onUnhandledError = (e) => unhandled.push(e);
    try {
      scheduler().run(({ expectObservable }) => {
        const ch = fakeChannel({ queues: { [DIRECT_REPLY_TO]: new Subject<Message>() } });
        expectObservable(rpcCall(ch, 'service', { not: 'a body' } as unknown as string, { timeout: 10 })).toBe(
          '#',
          undefined,
          expect.any(TypeError),
        );
      });
    } finally {
      config.onUnhandledError = null;
    }
    expect(unhandled).toEqual([]);
  });
});

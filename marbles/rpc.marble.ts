import { TestScheduler } from 'rxjs/testing';
import { map, Subject } from 'rxjs';
import { rpcCall, Message, DIRECT_REPLY_TO, TimeoutError } from 'rx-amqp';
import { fakeChannel } from 'rx-amqp/testing';

function testScheduler() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('rpcCall (marbles)', () => {
  it('publishes with a correlation id and replyTo, and emits the reply with that id only', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const replies = new Subject<Message>();
      const ch = fakeChannel({ queues: { [DIRECT_REPLY_TO]: replies } });
      // the "server": answers each request 3 frames later, first with a stray reply of another id
      ch.published$.subscribe((req) => {
        const id = req.message.properties.correlationId!;
        cold('---(ab)').subscribe((k) =>
          replies.next(
            new Message(k === 'a' ? 'not yours' : `re: ${req.message.text}`, {
              correlationId: k === 'a' ? 'other' : id,
            }),
          ),
        );
      });
      const call = rpcCall(ch, 'service', 'ping', { timeout: 100 }).pipe(map((r) => r.text));
      expectObservable(call).toBe('---(r|)', { r: 're: ping' });
    });
  });

  it('errors with TimeoutError when no reply comes within the timeout', () => {
    testScheduler().run(({ expectObservable }) => {
      const ch = fakeChannel({ queues: { [DIRECT_REPLY_TO]: new Subject<Message>() } });
      expectObservable(rpcCall(ch, 'service', 'ping', { timeout: 50 })).toBe(
        '50ms #',
        undefined,
        expect.any(TimeoutError),
      );
    });
  });

  it('waits for the reply consumer before publishing the request (RabbitMQ refuses it otherwise)', () => {
    const order: string[] = [];
    testScheduler().run(({ expectObservable }) => {
      const ch = fakeChannel({ queues: { [DIRECT_REPLY_TO]: new Subject<Message>() } });
      ch.methods$.subscribe((m) => order.push(m.name));
      expectObservable(rpcCall(ch, 'service', 'ping', { timeout: 10 }).pipe(map(() => 'x'))).toBe(
        '10ms #',
        undefined,
        expect.any(TimeoutError),
      );
    });
    expect(order).toEqual(['basic.consume', 'basic.publish']);
  });
});

/**
 * The relay of examples/relay-with-confirms.ts on a fake channel whose broker confirms or
 * nacks each publish: a delivery is acked only after its message was confirmed; a nacked
 * publish or a transform that throws nacks (requeues) the delivery, and the relay goes on.
 */
import { map, NEVER, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { Message, type Delivery } from 'rx-amqp';
import { fakeChannel } from 'rx-amqp/testing';
import { relay } from '../../examples/relay-with-confirms';

describe('examples/relay-with-confirms: relay (marbles)', () => {
  it('acks each delivery after its publish is confirmed; a nacked publish or a throwing transform requeues it', () => {
    const order: string[] = [];
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ cold, expectObservable }) => {
      const ch = fakeChannel({
        queues: { A: cold('-a-b-c-d', { a: 'one', b: 'two', c: 'boom', d: 'four' }) },
        // The broker refuses the message 'TWO' (as when its queue is full with overflow reject-publish).
        confirm: (p) => (p.message.text === 'TWO' ? 'nack' : 'ack'),
      });
      ch.methods$.subscribe((m) => {
        if (m.name === 'basic.publish') order.push('publish');
        if (m.name === 'basic.ack' || m.name === 'basic.nack')
          order.push(`${m.name === 'basic.ack' ? 'ack' : 'nack'} ${String(m.args.deliveryTag)}`);
      });
      const transform = (d: Delivery) => {
        if (d.text === 'boom') throw new Error('cannot transform');
        return new Message(d.text.toUpperCase());
      };
      const relayed = relay(of(ch), { from: 'A', to: 'B', transform, concurrency: 2, until: NEVER }).pipe(
        map((r) => r.message?.text),
      );
      expectObservable(relayed).toBe('-a-----d', { a: 'ONE', d: 'FOUR' });
      expectObservable(ch.published$.pipe(map((p) => `${p.exchange} ${p.message.text}`))).toBe('-a-b---d', {
        a: 'B ONE',
        b: 'B TWO',
        d: 'B FOUR',
      });
      expectObservable(ch.acks$).toBe('-a-----d', { a: 1, d: 4 });
      expectObservable(ch.nacks$).toBe('---b-c', {
        b: { deliveryTag: 2, requeue: true },
        c: { deliveryTag: 3, requeue: true },
      });
    });
    // Each ack follows the publish it waited for.
    expect(order).toEqual(['publish', 'ack 1', 'publish', 'nack 2', 'nack 3', 'publish', 'ack 4']);
  });
});

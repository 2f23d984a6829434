/**
 * Every channel method of both dialects against the real RabbitMQ 3.10, each with its effect
 * checked: what the broker holds, routes, delivers or refuses afterwards.
 */
import { firstValueFrom, lastValueFrom, take, toArray, type Observable, type Subscription } from 'rxjs';
import {
  type Channel,
  ChannelClosedError,
  type Connection,
  ConnectionClosedError,
  ConsumerCancelledError,
  type Delivery,
  EncodeError,
  Message,
  MessageReturnedError,
  NotOpenError,
  open,
  type Protocol,
  PublishNackedError,
  type ReturnedMessage,
  UnsupportedError,
} from 'rx-amqp';
import {
  brokerConsumers,
  DIALECTS,
  done,
  eventually,
  once,
  opts,
  quietFor,
  tapTransport,
  uniqueName,
  type SentMethod,
} from './helpers';

/** basic.get until a message is there (bounded); noAck. */
async function getEventually(ch: Channel, queue: string, noAck = true): Promise<Delivery> {
  let got: Delivery | null = null;
  await eventually(async () => {
    got = await once(ch.basicGet(queue, { noAck }));
    return got !== null;
  }, `a message is in ${queue}`);
  return got!;
}

/**
 * The bodies waiting in `queue`, in order, taken with noAck. A marker published last through
 * the default exchange on the same channel proves that nothing published before it is still
 * on its way (RabbitMQ keeps the order of one channel's publishes to one queue).
 */
async function drain(ch: Channel, queue: string): Promise<string[]> {
  const marker = uniqueName('marker');
  ch.basicPublish(marker, '', queue);
  const bodies: string[] = [];
  for (;;) {
    const d = await getEventually(ch, queue);
    if (d.text === marker) return bodies;
    bodies.push(d.text);
  }
}

/** Subscribes to a delivery stream and records everything it does. */
function record(o: Observable<Delivery>): {
  items: Delivery[];
  errors: unknown[];
  completed: () => boolean;
  sub: Subscription;
} {
  const items: Delivery[] = [];
  const errors: unknown[] = [];
  let completed = false;
  const sub = o.subscribe({
    next: (d) => items.push(d),
    error: (e) => errors.push(e),
    complete: () => (completed = true),
  });
  return { items, errors, completed: () => completed, sub };
}

async function tempQueue(ch: Channel, options: { arguments?: Record<string, string | number> } = {}): Promise<string> {
  return (await once(ch.queueDeclare(uniqueName('q'), { exclusive: true, ...options }))).queue;
}

describe.each(DIALECTS)('channel methods, AMQP %s', (protocol: Protocol) => {
  const is08 = protocol === '0-8';
  let c: Connection;
  let sent: SentMethod[];
  let ch: Channel;
  /** Where this test's methods start in `sent` (channel numbers are reused between tests). */
  let mark = 0;
  beforeAll(async () => {
    const tap = tapTransport(protocol);
    sent = tap.methods;
    c = await open(opts(protocol, { transport: tap.transport }));
  });
  afterAll(() => c.close());
  beforeEach(async () => {
    mark = sent.length;
    ch = await c.openChannel();
  });
  afterEach(() => ch.close());

  /** Methods this test sent on `channel` named `name`. */
  const sentOn = (channel: Channel, name: string) =>
    sent.slice(mark).filter((m) => m.channel === channel.id && m.name === name);

  // ---- access ------------------------------------------------------------------------

  it('accessRequest: the ticket becomes the default ticket and goes with every later method that has one', async () => {
    expect(ch.ticket).toBe(is08 ? 1 : 0);
    const before = sent.length;
    const ticket = await once(
      ch.accessRequest('/data', { exclusive: false, passive: false, active: true, read: true, write: true }),
    );
    expect(ticket).toBe(1); // RabbitMQ grants ticket 1 in both dialects
    expect(ch.ticket).toBe(ticket);
    const request = sentOn(ch, 'access.request');
    expect(request.map((m) => m.args)).toEqual([
      { realm: '/data', exclusive: false, passive: false, active: true, read: true, write: true },
    ]);

    const q = uniqueName('q');
    const x = uniqueName('x');
    await once(ch.queueDeclare(q, { exclusive: true }));
    await done(ch.exchangeDeclare(x, 'direct', { autoDelete: true }));
    await done(ch.queueBind(q, x, 'k'));
    ch.basicPublish('ticketed', x, 'k');
    expect((await getEventually(ch, q)).text).toBe('ticketed');
    await once(ch.queuePurge(q));
    await done(ch.exchangeDelete(x));
    await once(ch.queueDelete(q));
    const ticketed = sent
      .slice(before)
      .filter((m) => m.channel === ch.id && 'ticket' in m.args && m.name !== 'access.request');
    expect(ticketed.map((m) => m.name)).toEqual(
      expect.arrayContaining([
        'queue.declare',
        'exchange.declare',
        'queue.bind',
        'basic.publish',
        'basic.get',
        'queue.purge',
        'exchange.delete',
        'queue.delete',
      ]),
    );
    for (const m of ticketed) expect([m.name, m.args.ticket]).toEqual([m.name, ticket]);

    // Permissions left out are false (py-amqplib's defaults), not the spec's defaults (true).
    await once(ch.accessRequest('/data', { read: true }));
    expect(sentOn(ch, 'access.request').pop()!.args).toEqual({
      realm: '/data',
      exclusive: false,
      passive: false,
      active: false,
      write: false,
      read: true,
    });

    // An explicit ticket wins over the default (RabbitMQ ignores the value).
    await once(ch.queueDeclare('', { exclusive: true, ticket: 42 }));
    expect(sentOn(ch, 'queue.declare').pop()!.args.ticket).toBe(42);
  });

  // ---- exchanges ---------------------------------------------------------------------

  it('exchangeDeclare / exchangeDelete: the exchange routes while it exists; a passive declare after delete is 404 on that channel only', async () => {
    const x = uniqueName('x');
    await done(ch.exchangeDeclare(x, 'fanout'));
    await done(ch.exchangeDeclare(x, 'fanout', { passive: true }));
    const q = await tempQueue(ch);
    await done(ch.queueBind(q, x));
    ch.basicPublish('via fanout', x, 'whatever');
    expect(await drain(ch, q)).toEqual(['via fanout']);

    // Redeclaring with another type is refused (406) and closes only that channel.
    const other = await c.openChannel();
    const mismatch = await once(other.exchangeDeclare(x, 'topic')).catch((e: unknown) => e);
    expect(mismatch).toBeInstanceOf(ChannelClosedError);
    expect((mismatch as ChannelClosedError).code).toBe(406);

    await done(ch.exchangeDelete(x));
    const probe = await c.openChannel();
    const error = await once(probe.exchangeDeclare(x, 'fanout', { passive: true })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChannelClosedError);
    expect(error).toMatchObject({ code: 404, classId: 40, methodId: 10 });
    expect(probe.isOpen).toBe(false);
    // The first channel keeps working.
    ch.basicPublish('still here', '', q);
    expect((await getEventually(ch, q)).text).toBe('still here');
  });

  it('exchangeDelete with ifUnused refuses an exchange that has bindings (406)', async () => {
    const x = uniqueName('x');
    await done(ch.exchangeDeclare(x, 'direct'));
    const q = await tempQueue(ch);
    await done(ch.queueBind(q, x, 'k'));
    const probe = await c.openChannel();
    const error = await once(probe.exchangeDelete(x, { ifUnused: true })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChannelClosedError);
    expect((error as ChannelClosedError).code).toBe(406);
    await done(ch.exchangeDelete(x));
  });

  if (!is08) {
    it('exchangeBind / exchangeUnbind: a message routed through an exchange-to-exchange binding arrives, and stops after unbind', async () => {
      const source = uniqueName('src');
      const dest = uniqueName('dst');
      // Not auto-delete: unbinding the only binding would delete the source.
      await done(ch.exchangeDeclare(source, 'direct'));
      await done(ch.exchangeDeclare(dest, 'fanout'));
      const q = await tempQueue(ch);
      await done(ch.queueBind(q, dest));
      await done(ch.exchangeBind(dest, source, 'k1'));
      ch.basicPublish('bound', source, 'k1');
      ch.basicPublish('wrong key', source, 'k2');
      expect(await drain(ch, q)).toEqual(['bound']);

      await done(ch.exchangeUnbind(dest, source, 'k1'));
      ch.basicPublish('unbound', source, 'k1');
      expect(await drain(ch, q)).toEqual([]);
      await done(ch.exchangeDelete(source));
      await done(ch.exchangeDelete(dest));
    });
  } else {
    it('exchangeBind / exchangeUnbind do not exist in 0-8: UnsupportedError, nothing sent', async () => {
      const before = sent.length;
      await expect(done(ch.exchangeBind('a', 'b', 'k'))).rejects.toBeInstanceOf(UnsupportedError);
      await expect(done(ch.exchangeUnbind('a', 'b', 'k'))).rejects.toBeInstanceOf(UnsupportedError);
      expect(sent.slice(before).filter((m) => m.channel === ch.id)).toEqual([]);
      expect(ch.isOpen).toBe(true);
    });
  }

  // ---- queues ------------------------------------------------------------------------

  it('queueDeclare: server-named, named, passive; messageCount and consumerCount', async () => {
    const anon = await once(ch.queueDeclare('', { exclusive: true }));
    expect(anon).toEqual({ queue: expect.stringMatching(/^amq\.gen-/), messageCount: 0, consumerCount: 0 });

    const q = await tempQueue(ch);
    for (let i = 0; i < 3; i++) ch.basicPublish(`m${i}`, '', q);
    await eventually(
      async () => (await once(ch.queueDeclare(q, { passive: true }))).messageCount === 3,
      'three messages are counted',
    );

    const consumer = await c.openChannel();
    await once(consumer.basicQos(1));
    const r = record(consumer.basicConsume(q));
    await eventually(() => r.items.length === 1, 'the consumer gets one');
    const ok = await once(ch.queueDeclare(q, { passive: true }));
    expect(ok).toEqual({ queue: q, messageCount: 2, consumerCount: 1 });
    r.sub.unsubscribe();
    await consumer.close();
    // Closing the channel requeued the unacked one.
    await eventually(
      async () => (await once(ch.queueDeclare(q, { passive: true }))).messageCount === 3,
      'the unacked one is requeued',
    );
  });

  it('queueBind / queueUnbind: a bound queue receives, an unbound one does not', async () => {
    const q = await tempQueue(ch);
    const key = uniqueName('key');
    await done(ch.queueBind(q, 'amq.direct', key));
    ch.basicPublish('bound', 'amq.direct', key);
    ch.basicPublish('other key', 'amq.direct', `${key}-x`);
    expect(await drain(ch, q)).toEqual(['bound']);
    await done(ch.queueUnbind(q, 'amq.direct', key));
    ch.basicPublish('after unbind', 'amq.direct', key);
    expect(await drain(ch, q)).toEqual([]);
  });

  it('queuePurge emits the count and empties the queue', async () => {
    const q = await tempQueue(ch);
    for (let i = 0; i < 4; i++) ch.basicPublish(`m${i}`, '', q);
    await eventually(
      async () => (await once(ch.queueDeclare(q, { passive: true }))).messageCount === 4,
      'four messages',
    );
    expect(await once(ch.queuePurge(q))).toBe(4);
    expect(await once(ch.basicGet(q))).toBeNull();
    expect((await once(ch.queueDeclare(q, { passive: true }))).messageCount).toBe(0);
  });

  it('queueDelete emits the count and removes the queue; deleting a missing queue is OK (count 0) in RabbitMQ 3.10', async () => {
    const q = await tempQueue(ch);
    ch.basicPublish('a', '', q);
    ch.basicPublish('b', '', q);
    await eventually(
      async () => (await once(ch.queueDeclare(q, { passive: true }))).messageCount === 2,
      'two messages',
    );
    expect(await once(ch.queueDelete(q))).toBe(2);
    const probe = await c.openChannel();
    await expect(once(probe.queueDeclare(q, { passive: true }))).rejects.toMatchObject({ code: 404 });

    // RabbitMQ 3.10 answers queue.delete of a missing queue with delete-ok (0), no 404.
    expect(await once(ch.queueDelete(q))).toBe(0);
    expect(await once(ch.queueDelete(uniqueName('never-was')))).toBe(0);
    expect(ch.isOpen).toBe(true);
    const still = await tempQueue(ch);
    expect(still).toMatch(/^rxit-q-/);
  });

  it('queueDelete with ifEmpty refuses a queue holding messages (406)', async () => {
    const q = await tempQueue(ch);
    ch.basicPublish('keep me', '', q);
    await eventually(async () => (await once(ch.queueDeclare(q, { passive: true }))).messageCount === 1, 'one message');
    const probe = await c.openChannel();
    const error = await once(probe.queueDelete(q, { ifEmpty: true })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChannelClosedError);
    expect((error as ChannelClosedError).code).toBe(406);
    expect((await once(ch.queueDeclare(q, { passive: true }))).messageCount).toBe(1);
  });

  // ---- basic -------------------------------------------------------------------------

  it('basicQos: prefetch limits the unacknowledged deliveries', async () => {
    const q = await tempQueue(ch);
    for (let i = 0; i < 5; i++) ch.basicPublish(`m${i}`, '', q);
    await eventually(
      async () => (await once(ch.queueDeclare(q, { passive: true }))).messageCount === 5,
      'five messages',
    );
    const consumer = await c.openChannel();
    await done(consumer.basicQos(2));
    const r = record(consumer.basicConsume(q));
    await eventually(() => r.items.length === 2, 'two deliveries');
    await quietFor(150); // no third one comes while two are unacked
    expect(r.items).toHaveLength(2);
    expect((await once(ch.queueDeclare(q, { passive: true }))).messageCount).toBe(3);
    r.items[0].ack();
    await eventually(() => r.items.length === 3, 'a third delivery after one ack');
    await quietFor(100);
    expect(r.items.map((d) => d.text)).toEqual(['m0', 'm1', 'm2']);
    r.sub.unsubscribe();
    await consumer.close();
  });

  it('basicGet: null on an empty queue; a message with its fields and messageCount', async () => {
    const q = await tempQueue(ch);
    expect(await once(ch.basicGet(q))).toBeNull();
    ch.basicPublish(new Message('first', { contentType: 'text/plain' }), '', q);
    ch.basicPublish('second', '', q);
    ch.basicPublish('third', '', q);
    await eventually(
      async () => (await once(ch.queueDeclare(q, { passive: true }))).messageCount === 3,
      'three messages',
    );
    const d = (await once(ch.basicGet(q)))!;
    expect(d.text).toBe('first');
    expect(d.properties).toEqual({ contentType: 'text/plain', contentEncoding: 'UTF-8' });
    expect(d).toMatchObject({
      exchange: '',
      routingKey: q,
      redelivered: false,
      messageCount: 2,
      consumerTag: undefined,
      noAck: false,
    });
    expect(d.deliveryTag).toBe(1);
    expect(d.channel).toBe(ch);
    // Not acked: closing the channel puts it back, redelivered.
    const other = await c.openChannel();
    const d2 = (await once(other.basicGet(q)))!;
    expect(d2.text).toBe('second');
    await other.close();
    expect(d.ack()).toBe(true);
    const again = (await once(ch.basicGet(q, { noAck: true })))!;
    expect(again).toMatchObject({ redelivered: true, messageCount: 1 });
    expect(again.text).toBe('second');
    expect(again.noAck).toBe(true);
  });

  it('basicConsume with a client tag: consumerTags, the broker lists it, unsubscribe sends basic.cancel', async () => {
    const q = await tempQueue(ch);
    const tag = uniqueName('ctag');
    const consumer = await c.openChannel();
    const r = record(consumer.basicConsume(q, { consumerTag: tag, noAck: true }));
    ch.basicPublish('to consumer', '', q);
    await eventually(() => r.items.length === 1, 'a delivery');
    expect(r.items[0]).toMatchObject({ consumerTag: tag, noAck: true, routingKey: q, exchange: '' });
    expect(r.items[0].text).toBe('to consumer');
    expect(consumer.consumerTags).toEqual([tag]);
    expect(await brokerConsumers(q)).toEqual([tag]);

    r.sub.unsubscribe();
    expect(consumer.consumerTags).toEqual([]);
    await eventually(
      async () => (await once(ch.queueDeclare(q, { passive: true }))).consumerCount === 0,
      'the broker dropped the consumer',
    );
    expect(sentOn(consumer, 'basic.cancel').map((m) => m.args.consumerTag)).toEqual([tag]);
    ch.basicPublish('after cancel', '', q);
    expect((await getEventually(ch, q)).text).toBe('after cancel'); // not delivered to the cancelled consumer
    expect(r.items).toHaveLength(1);
    expect(r.errors).toEqual([]);
    await consumer.close();
  });

  it('basicConsume with a server-chosen tag', async () => {
    const q = await tempQueue(ch);
    const r = record(ch.basicConsume(q));
    await eventually(() => ch.consumerTags.length === 1, 'consume-ok');
    const [tag] = ch.consumerTags;
    expect(tag).toMatch(/^amq\.ctag-/);
    ch.basicPublish('x', '', q);
    await eventually(() => r.items.length === 1, 'a delivery');
    expect(r.items[0].consumerTag).toBe(tag);
    r.items[0].ack();
    r.sub.unsubscribe();
    await eventually(async () => (await once(ch.queueDeclare(q, { passive: true }))).consumerCount === 0, 'cancelled');
  });

  it('the server cancelling a consumer (its queue deleted)', async () => {
    const q = await tempQueue(ch);
    const consumer = await c.openChannel();
    const r = record(consumer.basicConsume(q));
    await eventually(() => consumer.consumerTags.length === 1, 'consume-ok');
    const [tag] = consumer.consumerTags;
    await once(ch.queueDelete(q));
    if (!is08) {
      // consumer_cancel_notify: RabbitMQ sends basic.cancel, the stream errors.
      await eventually(() => r.errors.length === 1, 'the stream errors');
      expect(r.errors[0]).toBeInstanceOf(ConsumerCancelledError);
      expect((r.errors[0] as ConsumerCancelledError).consumerTag).toBe(tag);
      expect(consumer.consumerTags).toEqual([]);
      // RabbitMQ's basic.cancel carries nowait: no cancel-ok goes back.
      expect(sentOn(consumer, 'basic.cancel-ok')).toEqual([]);
    } else {
      // 0-8 clients cannot ask for consumer_cancel_notify (no booleans in 0-8 tables), so
      // RabbitMQ says nothing: the consumer just never receives again.
      await quietFor(200);
      expect(r.errors).toEqual([]);
      expect(r.completed()).toBe(false);
      r.sub.unsubscribe();
    }
    expect(consumer.isOpen).toBe(true);
    await consumer.close();
    if (is08) expect(r.completed()).toBe(false); // it was unsubscribed before the channel closed
  });

  it('unsubscribing mid-flow requeues the deliveries still in flight; the ones taken stay unacked until settled', async () => {
    const q = await tempQueue(ch);
    for (let i = 0; i < 10; i++) ch.basicPublish(`m${i}`, '', q);
    const consumer = await c.openChannel();
    await done(consumer.basicQos(5));
    // take(2) leaves while up to three more are on their way: rx-amqp rejects those (requeue).
    const taken = await firstValueFrom(consumer.basicConsume(q).pipe(take(2), toArray()));
    expect(taken.map((d) => d.text)).toEqual(['m0', 'm1']);
    const ready = async () => (await once(ch.queueDeclare(q, { passive: true }))).messageCount;
    await eventually(async () => (await ready()) === 8, 'the in-flight ones are back in the queue');
    taken[0].ack();
    await consumer.close(); // the unacked m1 goes back
    await eventually(async () => (await ready()) === 9, 'm1 is requeued on close');
    expect(await drain(ch, q)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
  });

  it('a basicGet abandoned before its reply does not lose the message', async () => {
    const q = await tempQueue(ch);
    ch.basicPublish('wanted later', '', q);
    await eventually(async () => (await once(ch.queueDeclare(q, { passive: true }))).messageCount === 1, 'one message');
    const getter = await c.openChannel();
    const emitted: unknown[] = [];
    getter
      .basicGet(q)
      .subscribe((d) => emitted.push(d))
      .unsubscribe(); // sent, then abandoned
    // The get-ok still comes; rx-amqp rejects (requeues) the message nobody will see.
    await eventually(async () => sentOn(getter, 'basic.reject').length === 1, 'the abandoned message is rejected');
    expect(sentOn(getter, 'basic.get')).toHaveLength(1);
    expect(sentOn(getter, 'basic.reject')[0].args.requeue).toBe(true);
    await eventually(async () => (await once(ch.queueDeclare(q, { passive: true }))).messageCount === 1, 'requeued');
    expect(emitted).toEqual([]);
    expect(getter.isOpen).toBe(true);
    const d = await getEventually(getter, q);
    expect([d.text, d.redelivered]).toEqual(['wanted later', true]);
  });

  it('basicConsume exclusive: a second consumer on the queue is refused (403), the first goes on', async () => {
    const q = await tempQueue(ch);
    const first = record(ch.basicConsume(q, { exclusive: true, noAck: true }));
    await eventually(() => ch.consumerTags.length === 1, 'consume-ok');
    const other = await c.openChannel();
    const second = record(other.basicConsume(q));
    await eventually(() => second.errors.length === 1, 'the second consumer fails');
    expect(second.errors[0]).toBeInstanceOf(ChannelClosedError);
    expect((second.errors[0] as ChannelClosedError).code).toBe(403);
    expect(other.isOpen).toBe(false);
    ch.basicPublish('still mine', '', q);
    await eventually(() => first.items.length === 1, 'the exclusive consumer still receives');
    first.sub.unsubscribe();
  });

  it('basicCancel: the consumer stream completes and the broker stops delivering', async () => {
    const q = await tempQueue(ch);
    const tag = uniqueName('ctag');
    const r = record(ch.basicConsume(q, { consumerTag: tag, noAck: true }));
    await eventually(() => ch.consumerTags.length === 1, 'consume-ok');
    await done(ch.basicCancel(tag));
    expect(r.completed()).toBe(true);
    expect(ch.consumerTags).toEqual([]);
    expect((await once(ch.queueDeclare(q, { passive: true }))).consumerCount).toBe(0);
    ch.basicPublish('not for it', '', q);
    expect(await drain(ch, q)).toEqual(['not for it']);
    expect(r.items).toEqual([]);
  });

  it('basicPublish with mandatory: an unroutable message comes back on returns$', async () => {
    const returns: ReturnedMessage[] = [];
    const sub = ch.returns$.subscribe((m) => returns.push(m));
    const key = uniqueName('nowhere');
    ch.basicPublish(new Message('lost', { messageId: 'm-1', headers: { a: 1 } }), 'amq.direct', key, {
      mandatory: true,
    });
    ch.basicPublish('silently dropped', 'amq.direct', key); // not mandatory: no return
    await eventually(() => returns.length === 1, 'basic.return');
    await quietFor(100);
    expect(returns).toHaveLength(1);
    expect(returns[0]).toMatchObject({
      replyCode: 312,
      replyText: 'NO_ROUTE',
      exchange: 'amq.direct',
      routingKey: key,
    });
    expect(returns[0].text).toBe('lost');
    expect(returns[0].properties).toEqual({ messageId: 'm-1', headers: { a: 1 }, contentEncoding: 'UTF-8' });
    sub.unsubscribe();
  });

  it('publishing to a missing exchange: the broker closes the channel (404); pending publishes fail with it', async () => {
    const missing = uniqueName('no-such-x');
    const pub = await c.openChannel();
    if (!is08) await done(pub.confirmSelect());
    const outcome = lastValueFrom(pub.publish('lost', missing, 'k')).catch((e: unknown) => e);
    const error = await pub.closed;
    expect(error).toBeInstanceOf(ChannelClosedError);
    expect(error).toMatchObject({ code: 404, classId: 60, methodId: 40 });
    if (!is08)
      expect(await outcome).toBe(error); // in confirm mode it waited for a confirm that never came
    else expect(await outcome).toMatchObject({ confirmed: false }); // without confirms it was done once written
    expect(() => pub.basicPublish('after', '', 'q')).toThrow(NotOpenError);
    expect(c.isOpen).toBe(true);
  });

  it('a message whose properties do not fit in one frame is refused before anything is written (the broker would close the connection)', async () => {
    const q = await tempQueue(ch);
    const framesBefore = sent.length;
    const huge = new Message('x', { headers: { big: 'y'.repeat(c.tune.frameMax) } });
    expect(() => ch.basicPublish(huge, '', q)).toThrow(EncodeError);
    await expect(lastValueFrom(ch.publish(huge, '', q))).rejects.toBeInstanceOf(EncodeError);
    expect(sent.slice(framesBefore).filter((m) => m.name === 'basic.publish')).toEqual([]);
    // The same for a method: a bind whose arguments table is over frame_max fails alone.
    await expect(
      done(ch.queueBind(q, 'amq.headers', '', { arguments: { big: 'z'.repeat(c.tune.frameMax) } })),
    ).rejects.toBeInstanceOf(EncodeError);
    expect(c.isOpen).toBe(true);
    expect(ch.isOpen).toBe(true);
    ch.basicPublish(new Message('fits', { headers: { small: 'y'.repeat(1000) } }), '', q);
    expect(await drain(ch, q)).toEqual(['fits']);
  });

  it('basicAck / basicNack / basicReject: requeue puts a message back, redelivered; no requeue drops it (dead-lettered here)', async () => {
    const dlq = await tempQueue(ch);
    const q = await tempQueue(ch, { arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq } });
    for (const body of ['a', 'b', 'c']) ch.basicPublish(body, '', q);

    const a = await getEventually(ch, q, false);
    ch.basicAck(a.deliveryTag);
    let b = await getEventually(ch, q, false);
    expect([b.text, b.redelivered]).toEqual(['b', false]);
    ch.basicNack(b.deliveryTag, false, true); // requeued, at the head
    b = await getEventually(ch, q, false);
    expect([b.text, b.redelivered]).toEqual(['b', true]);
    ch.basicReject(b.deliveryTag, false); // dropped: dead-lettered
    let cc = await getEventually(ch, q, false);
    expect(cc.text).toBe('c');
    ch.basicReject(cc.deliveryTag, true); // requeued
    cc = await getEventually(ch, q, false);
    expect([cc.text, cc.redelivered]).toEqual(['c', true]);
    ch.basicNack(cc.deliveryTag, false, false); // dropped: dead-lettered
    expect(await drain(ch, q)).toEqual([]);
    expect(await drain(ch, dlq)).toEqual(['b', 'c']);
    if (is08) {
      // 0-8 has no basic.nack: rx-amqp sends basic.reject, so `multiple` is impossible.
      expect(sentOn(ch, 'basic.nack')).toEqual([]);
      expect(sentOn(ch, 'basic.reject').map((m) => m.args.requeue)).toEqual([true, false, true, false]);
      expect(() => ch.basicNack(1, true, true)).toThrow(UnsupportedError);
    } else {
      expect(sentOn(ch, 'basic.nack').map((m) => m.args.requeue)).toEqual([true, false]);
    }
  });

  it('basicAck with multiple settles every earlier delivery', async () => {
    const q = await tempQueue(ch);
    for (const body of ['1', '2', '3']) ch.basicPublish(body, '', q);
    const consumer = await c.openChannel();
    const got = [
      await getEventually(consumer, q, false),
      await getEventually(consumer, q, false),
      await getEventually(consumer, q, false),
    ];
    consumer.basicAck(got[1].deliveryTag, true); // acks 1 and 2
    await consumer.close(); // requeues only 3
    expect(await drain(ch, q)).toEqual(['3']);
  });

  it('basicRecover(true): RabbitMQ redelivers the unacked messages, marked redelivered', async () => {
    const q = await tempQueue(ch);
    ch.basicPublish('m1', '', q);
    ch.basicPublish('m2', '', q);
    const r = record(ch.basicConsume(q));
    await eventually(() => r.items.length === 2, 'two deliveries');
    await done(ch.basicRecover(true));
    await eventually(() => r.items.length === 4, 'two redeliveries');
    expect(r.items.map((d) => [d.text, d.redelivered])).toEqual([
      ['m1', false],
      ['m2', false],
      ['m1', true],
      ['m2', true],
    ]);
    // 0-8 sends basic.recover-async (60/100), which has no reply; 0-9-1 basic.recover / recover-ok.
    expect(sentOn(ch, is08 ? 'basic.recover-async' : 'basic.recover').map((m) => m.args.requeue)).toEqual([true]);
    for (const d of r.items.slice(2)) d.ack();
    r.sub.unsubscribe();
  });

  it('txSelect / txRollback / txCommit: a rolled-back publish is lost, a committed one arrives', async () => {
    const q = await tempQueue(ch);
    await done(ch.txSelect());
    ch.basicPublish('rolled back', '', q);
    await done(ch.txRollback());
    ch.basicPublish('committed', '', q);
    const probe = await c.openChannel();
    // Not visible before the commit.
    expect((await once(probe.queueDeclare(q, { passive: true }))).messageCount).toBe(0);
    await done(ch.txCommit());
    await eventually(
      async () => (await once(probe.queueDeclare(q, { passive: true }))).messageCount === 1,
      'the commit is visible',
    );
    expect(await drain(probe, q)).toEqual(['committed']);

    // Acks are transactional too: a rolled-back ack leaves the message unacked.
    ch.basicPublish('acked in tx', '', q);
    await done(ch.txCommit());
    const d = await getEventually(ch, q, false);
    d.ack();
    await done(ch.txRollback());
    await ch.close(); // the ack never happened: the message is requeued
    expect(await drain(probe, q)).toEqual(['acked in tx']);
    await probe.close();
  });

  if (!is08) {
    it('confirmSelect + publish(): each publish emits once the broker confirmed it', async () => {
      const q = await tempQueue(ch);
      expect(await lastValueFrom(ch.publish('unconfirmed', '', q))).toEqual({
        sequence: 0,
        confirmed: false,
        exchange: '',
        routingKey: q,
      });
      await done(ch.confirmSelect());
      expect(ch.confirmMode).toBe(true);
      const results = await Promise.all([1, 2, 3].map((i) => lastValueFrom(ch.publish(`m${i}`, '', q))));
      expect(results).toEqual(
        [1, 2, 3].map((sequence) => ({ sequence, confirmed: true, exchange: '', routingKey: q })),
      );
      expect(ch.basicPublish('m4', '', q)).toBe(4);
      expect(await drain(ch, q)).toEqual(['unconfirmed', 'm1', 'm2', 'm3', 'm4']);
    });

    it('in confirm mode a mandatory unroutable publish fails with MessageReturnedError (and appears on returns$)', async () => {
      await done(ch.confirmSelect());
      const returns: ReturnedMessage[] = [];
      const sub = ch.returns$.subscribe((m) => returns.push(m));
      const key = uniqueName('nowhere');
      const error = await lastValueFrom(ch.publish('nobody', 'amq.direct', key, { mandatory: true })).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MessageReturnedError);
      expect(error).toMatchObject({ code: 312, replyText: 'NO_ROUTE', exchange: 'amq.direct', routingKey: key });
      expect(returns.map((m) => m.text)).toEqual(['nobody']);
      // Without mandatory the same publish is confirmed (and dropped).
      expect(await lastValueFrom(ch.publish('nobody', 'amq.direct', key))).toMatchObject({ confirmed: true });
      sub.unsubscribe();
    });

    it('in confirm mode a nack fails the publish with PublishNackedError', async () => {
      // A queue that refuses publishes beyond one message: RabbitMQ nacks them.
      const q = await tempQueue(ch, { arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' } });
      await done(ch.confirmSelect());
      const first = await lastValueFrom(ch.publish('fits', '', q));
      expect(first).toMatchObject({ sequence: 1, confirmed: true });
      const error = await lastValueFrom(ch.publish('overflows', '', q)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PublishNackedError);
      expect((error as PublishNackedError).sequence).toBe(2);
      // (no drain(): its marker would be refused too)
      expect((await getEventually(ch, q)).text).toBe('fits');
      expect(await once(ch.basicGet(q))).toBeNull();
    });

    it('confirmSelect with nowait', async () => {
      const before = sent.length;
      await done(ch.confirmSelect({ nowait: true }));
      expect(ch.confirmMode).toBe(true);
      expect(sent.slice(before).find((m) => m.name === 'confirm.select')!.args.nowait).toBe(true);
      const q = await tempQueue(ch);
      expect(await lastValueFrom(ch.publish('x', '', q))).toMatchObject({ sequence: 1, confirmed: true });
    });
  } else {
    it('confirmSelect does not exist in 0-8: UnsupportedError', async () => {
      await expect(done(ch.confirmSelect())).rejects.toBeInstanceOf(UnsupportedError);
      expect(ch.confirmMode).toBe(false);
      const q = await tempQueue(ch);
      expect(await lastValueFrom(ch.publish('plain', '', q))).toEqual({
        sequence: 0,
        confirmed: false,
        exchange: '',
        routingKey: q,
      });
      expect(await drain(ch, q)).toEqual(['plain']);
    });
  }

  it('flow(true) is answered with flow-ok active=true and the channel goes on', async () => {
    expect(await once(ch.flow(true))).toBe(true);
    expect(sentOn(ch, 'channel.flow').map((m) => m.args.active)).toEqual([true]);
    const q = await tempQueue(ch);
    ch.basicPublish('flowing', '', q);
    expect(await drain(ch, q)).toEqual(['flowing']);
  });

  it('the nowait forms take effect without a reply', async () => {
    const x = uniqueName('x');
    const q = uniqueName('q');
    const tag = uniqueName('ctag');
    const before = sent.length;
    await done(ch.exchangeDeclare(x, 'direct', { nowait: true }));
    expect(await once(ch.queueDeclare(q, { exclusive: true, nowait: true }))).toEqual({
      queue: q,
      messageCount: 0,
      consumerCount: 0,
    });
    await done(ch.queueBind(q, x, 'k', { nowait: true }));
    ch.basicPublish('p1', x, 'k');
    ch.basicPublish('p2', x, 'k');
    // A synchronous method after them proves they were applied in order.
    await eventually(
      async () => (await once(ch.queueDeclare(q, { passive: true }))).messageCount === 2,
      'routed through the nowait binding',
    );
    expect(await once(ch.queuePurge(q, { nowait: true }))).toBe(0); // no reply: no count
    expect((await once(ch.queueDeclare(q, { passive: true }))).messageCount).toBe(0);

    // Without a tag of its own a nowait consumer could never be matched to its deliveries.
    const untagged = record(ch.basicConsume(q, { noAck: true, nowait: true }));
    expect(untagged.errors[0]).toBeInstanceOf(TypeError);
    const r = record(ch.basicConsume(q, { consumerTag: tag, noAck: true, nowait: true }));
    expect(ch.consumerTags).toEqual([tag]);
    ch.basicPublish('p3', x, 'k');
    await eventually(() => r.items.length === 1, 'a delivery to the nowait consumer');
    expect(r.items[0].consumerTag).toBe(tag);
    r.sub.unsubscribe();

    await done(ch.exchangeDelete(x, { nowait: true }));
    await done(ch.queueDelete(q, { nowait: true }));
    // RabbitMQ completes a nowait method before it reads the next one of the channel, so a
    // synchronous reply on the same channel means both deletes are done.
    await once(ch.basicQos(0));
    const probe = await c.openChannel();
    await expect(once(probe.queueDeclare(q, { passive: true }))).rejects.toMatchObject({ code: 404 });
    const probe2 = await c.openChannel();
    await expect(done(probe2.exchangeDeclare(x, 'direct', { passive: true }))).rejects.toMatchObject({ code: 404 });

    const nowaitSent = sent
      .slice(before)
      .filter((m) => m.channel === ch.id && m.args.nowait === true)
      .map((m) => m.name);
    expect(nowaitSent).toEqual([
      'exchange.declare',
      'queue.declare',
      'queue.bind',
      'queue.purge',
      'basic.consume',
      'exchange.delete',
      'queue.delete',
    ]);
  });

  it('the last-queue shortcut: an empty queue name means the queue last declared on the channel', async () => {
    const { queue } = await once(ch.queueDeclare('', { exclusive: true }));
    const key = uniqueName('key');
    await done(ch.queueBind('', 'amq.direct', key));
    ch.basicPublish('m1', 'amq.direct', key);
    ch.basicPublish('m2', 'amq.direct', key);
    await eventually(
      async () => (await once(ch.queueDeclare(queue, { passive: true }))).messageCount === 2,
      'two messages',
    );
    const d = (await once(ch.basicGet('', { noAck: true })))!;
    expect([d.text, d.routingKey]).toEqual(['m1', key]);
    expect(await once(ch.queuePurge(''))).toBe(1);
    const r = record(ch.basicConsume('', { noAck: true }));
    ch.basicPublish('m3', 'amq.direct', key);
    await eventually(() => r.items.length === 1, 'consumed from the last queue');
    r.sub.unsubscribe();
    expect(await once(ch.queueDelete(''))).toBe(0);
    const probe = await c.openChannel();
    await expect(once(probe.queueDeclare(queue, { passive: true }))).rejects.toMatchObject({ code: 404 });
  });
});

describe.each(DIALECTS)('what RabbitMQ 3.10 refuses, AMQP %s', (protocol: Protocol) => {
  // Each of these is a connection error: a fresh connection per case.
  async function refused(run: (ch: Channel) => Promise<unknown>): Promise<ConnectionClosedError> {
    const c = await open(opts(protocol));
    try {
      const ch = await c.openChannel();
      await run(ch).catch(() => undefined);
      const error = await c.closed;
      expect(error).toBeInstanceOf(ConnectionClosedError);
      expect(c.state).toBe('closed');
      return error as ConnectionClosedError;
    } finally {
      await c.close();
    }
  }

  it('basicRecover(false): 540 NOT_IMPLEMENTED (the connection is closed)', async () => {
    const error = await refused(async (ch) => {
      await done(ch.basicRecover(false));
      // In 0-8 recover-async has no reply: wait for the connection to go.
      await ch.closed;
    });
    expect(error).toMatchObject({ code: 540, classId: 60, methodId: protocol === '0-8' ? 100 : 110 });
    expect(error.replyText).toContain('requeue=false');
  });

  it('flow(false): 540 NOT_IMPLEMENTED (the connection is closed)', async () => {
    const error = await refused((ch) => done(ch.flow(false)));
    expect(error).toMatchObject({ code: 540, classId: 20, methodId: 20 });
    expect(error.replyText).toContain('active=false');
  });

  it('basicPublish with immediate: 540 NOT_IMPLEMENTED (the connection is closed)', async () => {
    const error = await refused(async (ch) => {
      ch.basicPublish('now or never', 'amq.direct', 'k', { immediate: true });
      await ch.closed;
    });
    expect(error).toMatchObject({ code: 540, classId: 60, methodId: 40 });
    expect(error.replyText).toContain('immediate=true');
  });
});

describe('a connection survives its channels failing', () => {
  it.each(DIALECTS)('AMQP %s: many channel errors in a row, then normal work', async (protocol) => {
    const c = await open(opts(protocol));
    try {
      const errors = await Promise.all(
        [1, 2, 3, 4, 5].map(async () => {
          const ch = await c.openChannel();
          return once(ch.queueDeclare(uniqueName('missing'), { passive: true })).catch((e: unknown) => e);
        }),
      );
      for (const e of errors) expect((e as ChannelClosedError).code).toBe(404);
      const ch = await c.openChannel();
      expect(ch.id).toBe(1);
      const q = await tempQueue(ch);
      ch.basicPublish('ok', '', q);
      expect(await firstValueFrom(ch.basicConsume(q, { noAck: true }).pipe(take(1), toArray()))).toHaveLength(1);
    } finally {
      await c.close();
    }
  });
});

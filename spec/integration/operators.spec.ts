import {
  firstValueFrom,
  lastValueFrom,
  map,
  of,
  range,
  shareReplay,
  take,
  toArray,
  delay,
  throwError,
  timer,
  mergeMap,
  tap,
} from 'rxjs';
import {
  connect,
  openChannel,
  declareExchange,
  declareQueue,
  bindQueue,
  bindExchange,
  consume,
  ackEach,
  ackAfter,
  publishTo,
  rpcCall,
  serveRpc,
  Message,
  TimeoutError,
} from 'rx-amqp';
import { brokerAdmin, BROKER_URL, eventually, queueCounts, rabbitmqctl, uniqueName } from './helpers';

describe('operators against RabbitMQ', () => {
  const admin = brokerAdmin();
  const { exchanges } = admin;
  const queue = () => admin.queueName('op');

  it('openChannel applies prefetch and confirm mode; the topology operators declare and bind before passing the channel on', async () => {
    const ex = uniqueName('ex');
    const ex2 = uniqueName('ex2');
    exchanges.push(ex, ex2);
    const q = queue();
    // The pipeline's subscription is the connection: do the checks inside it, then let it go.
    const result = await firstValueFrom(
      connect(BROKER_URL).pipe(
        openChannel({ prefetch: 7, confirm: true }),
        declareExchange(ex, 'topic'),
        declareExchange(ex2, 'fanout'),
        bindExchange(ex, ex2, ''),
        declareQueue(q),
        bindQueue(q, ex, 'a.*'),
        mergeMap((channel) => {
          expect(channel.confirmMode).toBe(true);
          // routed ex2 (fanout) -> ex (topic, a.*) -> q; the publish is confirmed
          return channel.publish('via e2e', ex2, 'a.b');
        }),
      ),
    );
    expect(result.confirmed).toBe(true);
    await eventually(async () => (await queueCounts(q)).ready === 1, 'the message is routed to the queue');
  });

  it('openChannel sets the prefetch on the broker', async () => {
    const name = uniqueName('prefetch');
    const sub = connect({ url: BROKER_URL, connectionName: name })
      .pipe(openChannel({ prefetch: 7 }))
      .subscribe();
    try {
      await eventually(
        async () =>
          (await rabbitmqctl('list_channels', 'connection', 'prefetch_count'))
            .split('\n')
            .some((l) => l.trim().endsWith('\t7')),
        'a channel with prefetch 7',
      );
    } finally {
      sub.unsubscribe();
    }
  });

  it('a server-named queue flows to bindQueue and consume through ""', async () => {
    const got = await lastValueFrom(
      connect(BROKER_URL).pipe(
        openChannel(),
        declareQueue('', { exclusive: true }),
        bindQueue('', 'amq.fanout'),
        tap((c) => {
          expect(c.lastQueue).toMatch(/^amq\.gen-/);
          // publish after the binding exists
          c.basicPublish('fanned', 'amq.fanout', '');
        }),
        consume('', { noAck: true }),
        take(1),
        map((d) => d.text),
      ),
    );
    expect(got).toBe('fanned');
  });

  it('publishTo with confirms emits one result per input, in order, and the queue gets them all', async () => {
    const q = queue();
    await firstValueFrom(admin.channel.queueDeclare(q));
    const channel$ = connect(BROKER_URL).pipe(
      openChannel({ confirm: true }),
      shareReplay({ bufferSize: 1, refCount: true }),
    );
    const results = await lastValueFrom(
      range(0, 3000).pipe(
        map((i) => new Message(`m${i}`, { messageId: String(i) })),
        publishTo(channel$, '', q, { window: 100 }),
        toArray(),
      ),
    );
    expect(results).toHaveLength(3000);
    expect(results.every((r) => r.status === 'confirmed')).toBe(true);
    expect(results.map((r) => r.value.properties.messageId)).toEqual(Array.from({ length: 3000 }, (_, i) => String(i)));
    await eventually(async () => (await queueCounts(q)).ready === 3000, '3000 messages are ready');
  });

  it('publishTo reports mandatory returns and broker nacks as results, not errors', async () => {
    const q = queue();
    await firstValueFrom(admin.channel.queueDeclare(q, { maxLength: 1, overflow: 'reject-publish' }));
    const channel$ = connect(BROKER_URL).pipe(
      openChannel({ confirm: true }),
      shareReplay({ bufferSize: 1, refCount: true }),
    );
    const results = await lastValueFrom(
      of('fits', 'rejected (queue full)').pipe(publishTo(channel$, '', q, { window: 1 }), toArray()),
    );
    expect(results.map((r) => r.status)).toEqual(['confirmed', 'nacked']);
    const unroutable = await lastValueFrom(
      of('nowhere').pipe(publishTo(channel$, '', uniqueName('missing'), { mandatory: true }), toArray()),
    );
    expect(unroutable.map((r) => [r.status, r.ok, r.error?.name])).toEqual([
      ['returned', false, 'MessageReturnedError'],
    ]);
  });

  it('ackEach acks what passes (the queue ends empty, nothing unacked) and unsubscribing mid-stream leaves the rest in the queue', async () => {
    const q = queue();
    await firstValueFrom(admin.channel.queueDeclare(q));
    for (let i = 0; i < 500; i++) admin.channel.basicPublish(`m${i}`, '', q);
    await eventually(async () => (await queueCounts(q)).ready === 500, '500 ready');
    const seen = await lastValueFrom(
      connect(BROKER_URL).pipe(openChannel({ prefetch: 50 }), consume(q), ackEach(), take(300), toArray()),
    );
    expect(seen).toHaveLength(300);
    // 300 acked; 200 left ready (the unacked in-flight ones are requeued when the channel closes)
    await eventually(async () => {
      const c = await queueCounts(q);
      return c.ready === 200 && c.unacked === 0;
    }, 'exactly the 300 acked are gone');
  });

  it('ackAfter acks on completion, requeues a first failure and dead-letters a second one, and goes on', async () => {
    const dlx = uniqueName('dlx');
    exchanges.push(dlx);
    const dead = queue();
    const q = queue();
    await firstValueFrom(admin.channel.exchangeDeclare(dlx, 'fanout'));
    await firstValueFrom(admin.channel.queueDeclare(dead));
    await firstValueFrom(admin.channel.queueBind(dead, dlx));
    await firstValueFrom(admin.channel.queueDeclare(q, { deadLetterExchange: dlx }));
    for (const body of ['ok-1', 'poison', 'ok-2']) admin.channel.basicPublish(body, '', q);
    const attempts: string[] = [];
    const processed: string[] = [];
    // Runs until the poison message is dead-lettered: a take(2) would race its redelivery
    // (the two good jobs can finish before the requeued copy arrives, which the channel's
    // close then requeues again).
    const sub = connect(BROKER_URL)
      .pipe(
        openChannel({ prefetch: 10 }),
        consume(q),
        ackAfter(
          (d) => {
            attempts.push(`${d.text}${d.redelivered ? ' (again)' : ''}`);
            return d.text === 'poison' ? throwError(() => new Error('cannot handle')) : of(d.text).pipe(delay(5));
          },
          { concurrency: 2 },
        ),
      )
      .subscribe((text) => processed.push(text));
    try {
      await eventually(async () => (await queueCounts(dead)).ready === 1, 'the poison message is dead-lettered');
      await eventually(async () => {
        const c = await queueCounts(q);
        return c.ready === 0 && c.unacked === 0;
      }, 'the work queue is empty');
    } finally {
      sub.unsubscribe();
    }
    expect(processed.sort()).toEqual(['ok-1', 'ok-2']);
    expect(attempts).toContain('poison');
    expect(attempts).toContain('poison (again)');
    const letter = await firstValueFrom(admin.channel.basicGet(dead, { noAck: true }));
    expect(letter?.text).toBe('poison');
  });

  it('RPC over direct reply-to: many concurrent calls on one channel get their own replies; a call with no server times out with a typed error', async () => {
    const q = queue();
    await firstValueFrom(admin.channel.queueDeclare(q));
    const server = connect(BROKER_URL)
      .pipe(
        openChannel({ prefetch: 20 }),
        serveRpc(q, (req) => timer(Math.floor(Math.random() * 10)).pipe(map(() => `${req.text}!`)), {
          concurrency: 20,
        }),
      )
      .subscribe();
    try {
      await eventually(
        async () => (await rabbitmqctl('list_queues', 'name', 'consumers')).includes(`${q}\t1`),
        'the RPC server consumes',
      );
      const client = await admin.openChannel();
      const replies = await lastValueFrom(
        range(0, 50).pipe(
          mergeMap((i) => rpcCall(client, q, `call ${i}`, { timeout: 5000 }).pipe(map((r) => [i, r.text] as const))),
          toArray(),
        ),
      );
      expect(replies.sort((a, b) => a[0] - b[0])).toEqual(Array.from({ length: 50 }, (_, i) => [i, `call ${i}!`]));
      const nobody = queue();
      await firstValueFrom(admin.channel.queueDeclare(nobody));
      await expect(firstValueFrom(rpcCall(client, nobody, 'hello?', { timeout: 200 }))).rejects.toBeInstanceOf(
        TimeoutError,
      );
      await client.close();
    } finally {
      server.unsubscribe();
    }
  });

  it('tearing a consuming pipeline down writes its pending acks before the channel closes', async () => {
    const q = queue();
    await firstValueFrom(admin.channel.queueDeclare(q));
    for (let i = 0; i < 100; i++) admin.channel.basicPublish(`m${i}`, '', q);
    await eventually(async () => (await queueCounts(q)).ready === 100, '100 ready');
    // take(100) unsubscribes in the same tick as the last ack is queued
    const n = await lastValueFrom(
      connect(BROKER_URL).pipe(openChannel({ prefetch: 100 }), consume(q), ackEach(), take(100), toArray()),
    );
    expect(n).toHaveLength(100);
    await eventually(async () => {
      const c = await queueCounts(q);
      return c.ready === 0 && c.unacked === 0;
    }, 'all 100 acked, none requeued');
  });

  it('unsubscribing consume cancels the consumer on the broker', async () => {
    const q = queue();
    await firstValueFrom(admin.channel.queueDeclare(q));
    const sub = connect(BROKER_URL)
      .pipe(openChannel(), consume(q, { noAck: true }))
      .subscribe();
    await eventually(
      async () => (await rabbitmqctl('list_queues', 'name', 'consumers')).includes(`${q}\t1`),
      'a consumer exists',
    );
    sub.unsubscribe();
    await eventually(
      async () => (await rabbitmqctl('list_queues', 'name', 'consumers')).includes(`${q}\t0`),
      'the consumer is gone',
    );
  });
});

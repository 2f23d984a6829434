/**
 * The diagnostics channels against RabbitMQ, with plain `node:diagnostics_channel` subscribers
 * (no OpenTelemetry): a header added in `rx-amqp:publish` start arrives at the consumer, a store
 * bound to `rx-amqp:process` start is active in the handler, connection events are reported.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import * as dc from 'node:diagnostics_channel';
import { defer, firstValueFrom, lastValueFrom, of, take } from 'rxjs';
import {
  ackAfter,
  CONNECTION_CHANNEL,
  consume,
  Message,
  open,
  PROCESS_CHANNEL,
  PUBLISH_CHANNEL,
  publishTo,
  type ConnectionEvent,
  type ProcessContext,
  type PublishContext,
} from 'rx-amqp';
import { eventually, once, opts, uniqueName } from './helpers';

describe('diagnostics channels', () => {
  it('a header added in rx-amqp:publish start reaches the broker (publish, basicPublish and publishTo)', async () => {
    const conn = await open(opts('0-9-1', { connectionName: uniqueName('diag') }));
    const start = (message: unknown) => {
      const ctx = message as PublishContext;
      ctx.message.properties.headers!['x-traced'] = `${ctx.exchange}/${ctx.routingKey}`;
    };
    dc.subscribe(`tracing:${PUBLISH_CHANNEL}:start`, start);
    try {
      const ch = await conn.openChannel();
      await once(ch.confirmSelect());
      const q = (await once(ch.queueDeclare(uniqueName('diag'), { exclusive: true }))).queue;
      const original = new Message('one', { headers: { kept: 'yes' } });
      await firstValueFrom(ch.publish(original, '', q));
      ch.basicPublish('two', '', q);
      await lastValueFrom(of(new Message('three')).pipe(publishTo(ch, '', q)));
      const got = await Promise.all([1, 2, 3].map(() => firstValueFrom(ch.basicGet(q, { noAck: true }))));
      expect(got.map((d) => [d!.text, d!.headers])).toEqual([
        ['one', { kept: 'yes', 'x-traced': `/${q}` }],
        ['two', { 'x-traced': `/${q}` }],
        ['three', { 'x-traced': `/${q}` }],
      ]);
      expect(original.properties.headers).toEqual({ kept: 'yes' });
    } finally {
      dc.unsubscribe(`tracing:${PUBLISH_CHANNEL}:start`, start);
      await conn.close();
    }
  });

  it('publish contexts carry the channel and the broker; asyncEnd follows the confirm', async () => {
    const conn = await open(opts('0-9-1', { connectionName: uniqueName('diag') }));
    const events: string[] = [];
    let seen: PublishContext | undefined;
    const subscribers = {
      start: () => events.push('start'),
      end: () => events.push('end'),
      asyncStart: () => events.push('asyncStart'),
      asyncEnd: (ctx: PublishContext) => {
        events.push('asyncEnd');
        seen = ctx;
      },
      error: () => events.push('error'),
    };
    const tc = dc.tracingChannel<unknown, PublishContext>(PUBLISH_CHANNEL);
    tc.subscribe(subscribers);
    try {
      const ch = await conn.openChannel();
      await once(ch.confirmSelect());
      const q = (await once(ch.queueDeclare(uniqueName('diag'), { exclusive: true }))).queue;
      await firstValueFrom(ch.publish('x', '', q));
      expect(events).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
      expect(seen).toMatchObject({
        exchange: '',
        routingKey: q,
        channelId: ch.id,
        confirmMode: true,
        confirmed: true,
        sequence: 1,
        peer: { serverAddress: '127.0.0.1', serverPort: 5672, protocol: '0-9-1', tls: false },
      });
    } finally {
      tc.unsubscribe(subscribers);
      await conn.close();
    }
  });

  it('a store bound with rx-amqp:process start.bindStore is active in the handler, also after an await', async () => {
    const store = new AsyncLocalStorage<string>();
    const tc = dc.tracingChannel<string, ProcessContext>(PROCESS_CHANNEL);
    tc.start.bindStore(store, (ctx) => `delivery ${ctx.delivery.text} from ${ctx.queue}`);
    const conn = await open(opts('0-9-1', { connectionName: uniqueName('diag') }));
    try {
      const ch = await conn.openChannel();
      const q = (await once(ch.queueDeclare(uniqueName('diag'), { exclusive: true }))).queue;
      ch.basicPublish('m', '', q);
      const seen = await lastValueFrom(
        of(ch).pipe(
          consume(q),
          ackAfter(() =>
            defer(async () => {
              const before = store.getStore();
              await new Promise((r) => setTimeout(r, 1));
              return [before, store.getStore()];
            }),
          ),
          take(1),
        ),
      );
      expect(seen).toEqual([`delivery m from ${q}`, `delivery m from ${q}`]);
    } finally {
      tc.start.unbindStore(store);
      await conn.close();
    }
  });

  it('rx-amqp:connection reports open and close with the endpoint', async () => {
    const events: ConnectionEvent[] = [];
    const listener = (e: unknown) => events.push(e as ConnectionEvent);
    dc.subscribe(CONNECTION_CHANNEL, listener);
    try {
      const conn = await open(opts('0-9-1', { connectionName: uniqueName('diag') }));
      await conn.close();
      await eventually(() => events.some((e) => e.event === 'close'), 'the close event');
    } finally {
      dc.unsubscribe(CONNECTION_CHANNEL, listener);
    }
    expect(events.map((e) => e.event)).toEqual(['connecting', 'open', 'close']);
    expect(events[1]).toEqual({ event: 'open', endpoint: { hostname: '127.0.0.1', port: 5672 }, reconnected: false });
  });
});

import type { BehaviorSubject, Subject } from 'rxjs';
import type { MethodDef } from '../protocol/definitions';
import type { AnyMethod, ArgsOf } from '../protocol/dispatch';
import { UnexpectedFrameError } from '../protocol/errors';
import { toSafeNumber } from '../protocol/reader';
import { ReturnedMessage, type DeliveryFactory, type DeliverySettler } from '../delivery';
import type { MessageProperties } from '../message';
import type { ChannelState } from './channel-state';
import type { CloseHandshake } from './close-handshake';
import type { ConfirmTracker } from './confirm-tracker';
import { handOver, type Consumers } from './consumers';
import type { ContentSink } from './content-assembly';
import type { DeliverArgs } from './deliver-args';
import { ConsumerCancelledError, MessageReturnedError } from './errors';
import type { MethodQueue } from './method-queue';
import type { Unsettled } from './unsettled';

/** What a `channel.alert` (RabbitMQ's 0-8 extension) carries, on `alerts$`. */
export interface ChannelAlert {
  replyCode: number;
  replyText: string;
  details: object;
}

/**
 * The channel as its method dispatch sees it (implemented by `ChannelCore`, which is also the
 * settler of its deliveries).
 */
export interface DispatchingChannel extends DeliverySettler {
  readonly id: number;
  /** Makes the channel's deliveries (its public Channel). */
  readonly deliveryFactory: DeliveryFactory;
  readonly state: ChannelState;
  readonly confirmMode: boolean;
  readonly methods: MethodQueue;
  readonly consumers: Consumers;
  readonly confirms: ConfirmTracker;
  readonly unsettled: Unsettled;
  readonly returns$: Subject<ReturnedMessage>;
  readonly flow$: BehaviorSubject<boolean>;
  readonly alerts$: Subject<ChannelAlert>;
  write(def: MethodDef, args: object): void;
  def(name: string): MethodDef;
}

/**
 * Where each method a server sends on a channel goes: deliveries to their consumer, get-ok and
 * the replies of synchronous methods to the method queue, confirms to the confirm tracker,
 * returns, flow and alerts to the channel's side streams, the server's cancel to its consumer,
 * and channel.close / close-ok to the close handshake. Anything else is an
 * UnexpectedFrameError, fatal to the connection.
 */
export class MethodDispatch implements ContentSink {
  constructor(
    private readonly channel: DispatchingChannel,
    private readonly handshake: CloseHandshake,
  ) {}

  onMethod(m: AnyMethod): void {
    const ch = this.channel;
    switch (m.name) {
      case 'basic.ack':
        return ch.confirms.acked(toSafeNumber(m.args.deliveryTag, 'delivery tag'), m.args.multiple);
      case 'basic.nack':
        return ch.confirms.nacked(toSafeNumber(m.args.deliveryTag, 'delivery tag'), m.args.multiple);
      case 'channel.close':
        return this.handshake.serverClosed(m.args);
      case 'channel.close-ok':
        return this.handshake.closeOk();
      case 'channel.flow': {
        const active = m.args.active;
        ch.write(ch.def('channel.flow-ok'), { active });
        if (ch.flow$.value !== active) ch.flow$.next(active);
        return;
      }
      case 'basic.cancel': {
        const tag = m.args.consumerTag;
        const consumer = ch.consumers.get(tag);
        ch.consumers.delete(tag);
        if (!m.args.nowait) ch.write(ch.def('basic.cancel-ok'), { consumerTag: tag });
        consumer?.end(new ConsumerCancelledError(tag));
        return;
      }
      case 'channel.alert':
        ch.alerts$.next({ replyCode: m.args.replyCode, replyText: m.args.replyText, details: m.args.details });
        return;
    }
    const head = ch.methods.head;
    if (!head?.def.replies.includes(m.name)) {
      throw new UnexpectedFrameError(
        `unexpected ${m.name} on channel ${ch.id}${head ? ` (awaiting a reply to ${head.def.name})` : ''}`,
      );
    }
    ch.methods.complete(m.name, m.args);
  }

  onDeliver(args: DeliverArgs, body: Buffer, properties: MessageProperties): void {
    const ch = this.channel;
    const consumerTag = args.consumerTag;
    const consumer = ch.consumers.get(consumerTag);
    const noAck = consumer?.noAck === true;
    if (ch.state !== 'open') return; // closing: the broker requeues it
    const d = ch.deliveryFactory.createDelivery(
      args.deliveryTag,
      args.redelivered,
      args.exchange,
      args.routingKey,
      consumerTag,
      undefined,
      noAck,
      body,
      properties,
    );
    if (!noAck) ch.unsettled.add(d);
    handOver(consumer, d);
  }

  onGetOk(args: ArgsOf<'basic.get-ok'>, body: Buffer, properties: MessageProperties): void {
    const ch = this.channel;
    const head = ch.methods.head;
    if (head?.def.name !== 'basic.get') throw new UnexpectedFrameError('basic.get-ok without a basic.get');
    const noAck = (head.args as { noAck?: boolean }).noAck ?? false;
    const d = ch.deliveryFactory.createDelivery(
      toSafeNumber(args.deliveryTag, 'delivery tag'),
      args.redelivered,
      args.exchange,
      args.routingKey,
      undefined,
      args.messageCount,
      noAck,
      body,
      properties,
    );
    if (!noAck) ch.unsettled.add(d);
    if (head.abandoned && !noAck) d.reject(true);
    ch.methods.complete('basic.get-ok', args, d);
  }

  onReturn(args: ArgsOf<'basic.return'>, body: Buffer, properties: MessageProperties): void {
    const ch = this.channel;
    const returned = new ReturnedMessage(
      args.replyCode,
      args.replyText,
      args.exchange,
      args.routingKey,
      body,
      properties,
    );
    if (ch.confirmMode) {
      ch.confirms.returned(
        returned.exchange,
        returned.routingKey,
        new MessageReturnedError(returned.replyCode, returned.replyText, returned.exchange, returned.routingKey),
      );
    }
    ch.returns$.next(returned);
  }
}

import type { BehaviorSubject, Subject } from 'rxjs';
import type { MethodDef } from '../protocol/definitions';
import { FrameSyntaxError, UnexpectedFrameError } from '../protocol/errors';
import { Delivery, ReturnedMessage, type DeliverySettler } from '../delivery';
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
  readonly state: ChannelState;
  readonly confirmMode: boolean;
  readonly rpc: MethodQueue;
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

  onMethod(def: MethodDef, args: Record<string, unknown>): void {
    const ch = this.channel;
    const name = def.name;
    switch (name) {
      case 'basic.ack':
        return ch.confirms.acked(deliveryTagOf(args), args.multiple as boolean);
      case 'basic.nack':
        return ch.confirms.nacked(deliveryTagOf(args), args.multiple as boolean);
      case 'channel.close':
        return this.handshake.serverClosed(
          args.replyCode as number,
          args.replyText as string,
          args.classId as number,
          args.methodId as number,
        );
      case 'channel.close-ok':
        return this.handshake.closeOk();
      case 'channel.flow':
        ch.write(ch.def('channel.flow-ok'), { active: args.active });
        if (ch.flow$.value !== args.active) ch.flow$.next(args.active as boolean);
        return;
      case 'basic.cancel': {
        const tag = args.consumerTag as string;
        const consumer = ch.consumers.get(tag);
        ch.consumers.delete(tag);
        if (!args.nowait) ch.write(ch.def('basic.cancel-ok'), { consumerTag: tag });
        consumer?.end(new ConsumerCancelledError(tag));
        return;
      }
      case 'channel.alert':
        ch.alerts$.next({
          replyCode: args.replyCode as number,
          replyText: args.replyText as string,
          details: args.details as object,
        });
        return;
    }
    const head = ch.rpc.head;
    if (!head?.def.replies.includes(name)) {
      throw new UnexpectedFrameError(
        `unexpected ${name} on channel ${ch.id}${head ? ` (awaiting a reply to ${head.def.name})` : ''}`,
      );
    }
    ch.rpc.complete(name, args);
  }

  onDeliver(args: DeliverArgs, body: Buffer, properties: MessageProperties): void {
    const ch = this.channel;
    const consumerTag = args.consumerTag;
    const consumer = ch.consumers.get(consumerTag);
    const noAck = consumer?.noAck === true;
    if (ch.state !== 'open') return; // closing: the broker requeues it
    const d = new Delivery(
      ch,
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

  onGetOk(args: Record<string, unknown>, body: Buffer, properties: MessageProperties): void {
    const ch = this.channel;
    const head = ch.rpc.head;
    if (head?.def.name !== 'basic.get') throw new UnexpectedFrameError('basic.get-ok without a basic.get');
    const noAck = (head.args as { noAck?: boolean }).noAck ?? false;
    const d = new Delivery(
      ch,
      deliveryTagOf(args),
      args.redelivered as boolean,
      args.exchange as string,
      args.routingKey as string,
      undefined,
      args.messageCount as number,
      noAck,
      body,
      properties,
    );
    if (!noAck) ch.unsettled.add(d);
    if (head.abandoned && !noAck) d.reject(true);
    ch.rpc.complete('basic.get-ok', args, d);
  }

  onReturn(args: Record<string, unknown>, body: Buffer, properties: MessageProperties): void {
    const ch = this.channel;
    const returned = new ReturnedMessage(
      args.replyCode as number,
      args.replyText as string,
      args.exchange as string,
      args.routingKey as string,
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

/**
 * The delivery tag of decoded basic.ack / basic.nack / basic.get-ok arguments. The codec gives
 * a longlong past 2^53 as a bigint, which no tag or publish sequence of this client can be
 * (and which tag arithmetic would throw on): a FrameSyntaxError, as for basic.deliver.
 */
function deliveryTagOf(args: Record<string, unknown>): number {
  const tag = args.deliveryTag;
  if (typeof tag !== 'number') throw new FrameSyntaxError(`delivery tag ${String(tag)} is beyond 2^53`);
  return tag;
}

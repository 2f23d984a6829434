import { asapScheduler } from 'rxjs';
import type { ConfirmWaiter } from '../channel/confirm-tracker';
import { Message } from '../message';
import { publishChannel, type PublishContext } from './channels';
import { peerOf } from './peer';

/**
 * What a traced publish needs of the channel that publishes. Structural: the channel layer calls
 * `tracePublish` (only when someone subscribes) with itself, and this module does not import it
 * back (which would be an import cycle).
 */
export interface TracedPublisher {
  readonly id: number;
  readonly host: Parameters<typeof peerOf>[0];
  readonly confirmMode: boolean;
  readonly confirms: { watch(sequence: number, waiter: ConfirmWaiter): void };
  writePublish(message: Message, exchange: string, routingKey: string, mandatory: boolean, immediate: boolean): number;
}

/**
 * A publish under `rx-amqp:publish` (called by the channel only when someone subscribes).
 * Runs `start` on a private copy of the message (so headers a subscriber adds reach the broker
 * and not the caller's object), writes it, and arranges `asyncEnd` for its settlement: the
 * confirm in confirm mode, else the end-of-tick flush to the socket.
 */
export function tracePublish(
  publisher: TracedPublisher,
  message: Message,
  exchange: string,
  routingKey: string,
  mandatory: boolean,
  immediate: boolean,
): number {
  const ctx: PublishContext = {
    message: new Message(message.body, { ...message.properties, headers: { ...message.properties.headers } }),
    exchange,
    routingKey,
    mandatory,
    channelId: publisher.id,
    peer: peerOf(publisher.host),
    confirmMode: publisher.confirmMode,
  };
  let sequence: number;
  try {
    sequence = publishChannel.start.runStores(
      ctx,
      publisher.writePublish,
      publisher,
      ctx.message,
      exchange,
      routingKey,
      mandatory,
      immediate,
    );
  } catch (e) {
    ctx.error = e;
    publishChannel.error.publish(ctx);
    publishChannel.end.publish(ctx);
    throw e;
  }
  ctx.sequence = sequence;
  publishChannel.end.publish(ctx);
  if (sequence > 0) {
    // The caller attaches its own waiter next; ConfirmTracker.watch chains it behind this one.
    publisher.confirms.watch(sequence, new TracedConfirm(ctx));
  } else {
    // The output buffer's flush was scheduled on asapScheduler by the write; this runs after it.
    // One scheduled action settles every publish written in the same tick.
    onWire.push(ctx);
    if (onWire.length === 1) asapScheduler.schedule(settleOnWire);
  }
  return sequence;
}

/** Publishes written without confirm mode, settled together after the end-of-tick flush. */
let onWire: PublishContext[] = [];

function settleOnWire(): void {
  const batch = onWire;
  onWire = [];
  for (const ctx of batch) settled(ctx, undefined);
}

/** Publishes the settlement of a traced publish: `error` (on failure), `asyncStart`, `asyncEnd`. */
function settled(ctx: PublishContext, error: Error | undefined): void {
  if (error !== undefined) {
    ctx.error = error;
    publishChannel.error.publish(ctx);
  } else {
    ctx.confirmed = ctx.confirmMode;
  }
  publishChannel.asyncStart.publish(ctx);
  publishChannel.asyncEnd.publish(ctx);
}

/**
 * The confirm waiter of a traced publish. It sits in the tracker's slot (so a basic.return is
 * matched to it) and hands the outcome on to the waiter the publisher attached after it.
 */
class TracedConfirm implements ConfirmWaiter {
  readonly mandatory: boolean;
  readonly exchange: string;
  readonly routingKey: string;
  returned?: Error;
  private next: ConfirmWaiter | undefined;

  constructor(private readonly ctx: PublishContext) {
    this.mandatory = ctx.mandatory;
    this.exchange = ctx.exchange;
    this.routingKey = ctx.routingKey;
  }

  chain(next: ConfirmWaiter): void {
    if (this.next === undefined) this.next = next;
  }

  resolve(): void {
    settled(this.ctx, undefined);
    this.next?.resolve();
  }

  reject(error: Error): void {
    settled(this.ctx, error);
    this.next?.reject(error);
  }
}

import * as dc from 'node:diagnostics_channel';
import type { Delivery } from '../facades';
import { PROCESS_CHANNEL, type PeerInfo } from './channels';

// The process channel names the public Delivery, so it lives apart from `channels.ts`, which
// the channel core (below the public classes) imports for the publish channel.

/**
 * The context object of one processed delivery on `rx-amqp:process`: `start` → the handler runs
 * inside `start.runStores(context, ...)` (so stores bound with `start.bindStore` are active in
 * it and in everything it starts) → `end` (its synchronous part returned) → on completion
 * `asyncStart`/`asyncEnd`, on failure `error` (with `error` set) then `asyncStart`/`asyncEnd`.
 * When the subscriber of the pipeline leaves before the handler finished, `asyncEnd` fires with
 * `abandoned: true`.
 */
export interface ProcessContext {
  delivery: Delivery;
  /** The queue the delivery was consumed from, when known. */
  queue: string | undefined;
  /** The channel number. */
  channelId: number;
  /** Where the connection goes. */
  peer: PeerInfo;
  /** Set on `error`: what the handler failed with. */
  error?: unknown;
  /** Set on `asyncEnd` when the handler was abandoned by an unsubscribe. */
  abandoned?: boolean;
  /**
   * A `start` subscriber may set this to run the handler through a context API that cannot be
   * bound with `bindStore` (OpenTelemetry's `context.with`, for one): the handler is invoked
   * and subscribed as `runWith(invoke)`.
   */
  runWith?: (invoke: () => void) => void;
  /** Free for subscribers to keep their own state (a span, a start time). */
  [key: string | symbol]: unknown;
}

/** The TracingChannel of processed deliveries. */
export const processChannel = dc.tracingChannel<unknown, ProcessContext>(PROCESS_CHANNEL);

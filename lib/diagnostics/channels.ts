import * as dc from 'node:diagnostics_channel';
import { AsyncResource } from 'node:async_hooks';
import type { Message } from '../message';
import type { Protocol } from '../protocol/protocol-version';

/** Name of the TracingChannel of publishes: `tracing:rx-amqp:publish:start` and so on. */
export const PUBLISH_CHANNEL = 'rx-amqp:publish';
/** Name of the TracingChannel of processed deliveries (`ackAfter`, `serveRpc`). */
export const PROCESS_CHANNEL = 'rx-amqp:process';
/** Name of the plain channel of connection events. */
export const CONNECTION_CHANNEL = 'rx-amqp:connection';

/** Where a channel's connection goes, for telemetry (server address and port, dialect). */
export interface PeerInfo {
  /** Host name or address of the broker. */
  serverAddress: string;
  serverPort: number;
  /** AMQP dialect: `'0-9-1'` or `'0-8'`. */
  protocol: Protocol;
  /** Whether the connection uses TLS (amqps). */
  tls: boolean;
}

/**
 * The context object of one publish on `rx-amqp:publish`. The same object travels through
 * `start` → `end` → (`error`) → `asyncStart` → `asyncEnd`.
 *
 * - `start` fires before the message is encoded. `message` is a private copy (its
 *   `properties.headers` too), so a subscriber may add headers (a trace context, say) and they
 *   go to the broker without touching the caller's Message.
 * - `end` fires once the frames are written to the connection's buffer (or after `error`, when
 *   encoding or writing failed: then nothing was published and no `asyncEnd` follows).
 * - `asyncStart`/`asyncEnd` fire when the publish is settled: on the broker's confirm in confirm
 *   mode (`confirmed: true`), else once the frames were handed to the socket. Before them,
 *   `error` fires with `error` set when the broker nacked it, returned it (mandatory, confirm
 *   mode) or the channel was lost before the confirm.
 */
export interface PublishContext {
  /** The message as it will be encoded (a copy; subscribers of `start` may edit its headers). */
  message: Message;
  exchange: string;
  routingKey: string;
  mandatory: boolean;
  /** The channel number. */
  channelId: number;
  /** Where the connection goes. */
  peer: PeerInfo;
  /** Whether the channel is in confirm mode (then `asyncEnd` waits for the confirm). */
  confirmMode: boolean;
  /** The confirm sequence number (confirm mode), set before `end`. */
  sequence?: number;
  /** True on `asyncEnd` when the broker confirmed it. */
  confirmed?: boolean;
  /** Set on `error`: the nack, return, channel loss or encoding failure. */
  error?: unknown;
  /** Free for subscribers to keep their own state (a span, a start time). */
  [key: string | symbol]: unknown;
}

/** An event on `rx-amqp:connection`. */
export type ConnectionEvent =
  | { event: 'connecting'; endpoint: { hostname: string; port: number }; attempt: number }
  /** `reconnected`: a connection that replaces a lost one of the same `connect()`. */
  | { event: 'open'; endpoint: { hostname: string; port: number }; reconnected: boolean }
  | { event: 'blocked'; endpoint: { hostname: string; port: number }; reason: string }
  | { event: 'unblocked'; endpoint: { hostname: string; port: number }; blockedMs: number }
  /** The connection was lost and another attempt follows after `retryIn` ms. */
  | { event: 'reconnect'; endpoint: { hostname: string; port: number }; error: Error; attempt: number; retryIn: number }
  /** The `connect()` subscription ended: `error` unless it was closed by the application. */
  | { event: 'close'; error?: Error };

/** The TracingChannel of publishes. */
export const publishChannel = dc.tracingChannel<unknown, PublishContext>(PUBLISH_CHANNEL);
/** The channel of connection events. */
export const connectionChannel = dc.channel(CONNECTION_CHANNEL);

/**
 * Whether anyone listens to a TracingChannel. Checked before any context is built, so that
 * publishing and processing allocate nothing for diagnostics when nobody subscribes.
 */
export function isTraced<C extends object>(tc: dc.TracingChannel<unknown, C>): boolean {
  return (
    tc.start.hasSubscribers ||
    tc.end.hasSubscribers ||
    tc.asyncStart.hasSubscribers ||
    tc.asyncEnd.hasSubscribers ||
    tc.error.hasSubscribers
  );
}

/**
 * `fn` bound to the caller's async context when publishes are traced, else `fn` itself. For a
 * publish an operator defers to a later callback (a frame's arrival runs in the socket's
 * context), so that tracers see it in the context of the code that asked for it.
 */
export function inCallerContext(fn: () => void): () => void {
  return isTraced(publishChannel) ? AsyncResource.bind(fn) : fn;
}

/**
 * A transport (`connect({ transport })`) that plays a (mutated) recorded server stream to the
 * client: each segment is handed over once the client has written as many frames as it had
 * when the broker sent it, or earlier when the driver sees the client stalled
 * ({@link ReplayTransport.releaseNext}). Like a socket, it never calls back from inside the
 * client's own `write()`: every event is queued and delivered in order on a microtask.
 *
 * Each connection attempt gets the whole stream again from its start (a broker that comes
 * back plays the same conversation), up to `conversations` attempts; later ones are refused.
 * With `backpressure` every n-th write reports a full buffer, and `drain` follows once the
 * client stalls ({@link ReplayTransport.drain}).
 */
import type { Endpoint, Transport, TransportEvents, TransportFactory } from '../../lib/connection/transport';
import { ClientFrameCounter } from './recording';
import type { MutatedSegment } from './mutate';

/** How the stream ends once every segment was delivered and the client still waits. */
export type EndMode = 'eof' | 'reset' | 'silent';

/** Options of {@link ReplayTransport}. */
export interface ReplayOptions {
  /** Connection attempts answered with the stream (default 1); later attempts are refused. */
  conversations?: number;
  /** Every `backpressure`-th write returns false (0: never). */
  backpressure?: number;
}

/** One connection attempt's conversation. */
class Conversation {
  next = 0;
  /** The stream was ended by the server side (or went silent). */
  ended = false;
  /** The client ended or destroyed the transport, or the server ended the stream. */
  closed = false;
  closedDelivered = false;
  writes = 0;
  drainPending = false;
  readonly counter = new ClientFrameCounter();

  constructor(readonly events: TransportEvents) {}
}

/** See the module comment. */
export class ReplayTransport {
  /** Problems: the client threw out of a transport callback (an escape). */
  readonly escapes: unknown[] = [];
  /** Connection attempts (transport factory calls). */
  attempts = 0;

  readonly factory: TransportFactory = (_endpoint: Endpoint, events: TransportEvents) => this.open(events);

  private current: Conversation | null = null;
  private readonly conversations: number;
  private readonly backpressure: number;

  constructor(
    private readonly segments: MutatedSegment[],
    options: ReplayOptions = {},
  ) {
    this.conversations = options.conversations ?? 1;
    this.backpressure = options.backpressure ?? 0;
  }

  /** Reports `drain` if a write reported a full buffer; false when none is pending. */
  drain(): boolean {
    const c = this.current;
    if (!c || c.closed || !c.drainPending) return false;
    c.drainPending = false;
    this.deliver(c, (e) => e.drain());
    return true;
  }

  /** Hands the next segment over now (the client stalled waiting for it); false when none is left. */
  releaseNext(): boolean {
    const c = this.current;
    if (!c || c.closed || c.next >= this.segments.length) return false;
    this.release(c, this.segments[c.next++]);
    return true;
  }

  /**
   * Ends the current conversation from the server's side: a clean end of stream, a reset, or
   * silence. False when it had already ended (or there is none).
   */
  end(mode: EndMode): boolean {
    const c = this.current;
    if (!c || c.ended || c.closed) return false;
    c.ended = true;
    if (mode === 'silent') return true;
    c.closed = true;
    const error = mode === 'reset' ? Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) : undefined;
    this.deliver(c, (e) => e.closed(error), true);
    return true;
  }

  private open(events: TransportEvents): Transport {
    this.attempts++;
    if (this.attempts > this.conversations) {
      const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      queueMicrotask(() => this.call(() => events.closed(refused)));
      return { write: () => false, end: () => undefined, destroy: () => undefined };
    }
    const c = new Conversation(events);
    this.current = c;
    this.deliver(c, (e) => e.connected());
    return {
      write: (bytes) => {
        if (c.closed) return false;
        c.counter.push(bytes);
        while (c.next < this.segments.length && this.segments[c.next].after <= c.counter.count)
          this.release(c, this.segments[c.next++]);
        if (this.backpressure > 0 && ++c.writes % this.backpressure === 0) {
          c.drainPending = true;
          return false;
        }
        return !c.drainPending;
      },
      end: () => this.clientClosed(c),
      destroy: () => this.clientClosed(c),
    };
  }

  private clientClosed(c: Conversation): void {
    if (c.closed) return;
    c.closed = true;
    this.deliver(c, (e) => e.closed(undefined), true);
  }

  private release(c: Conversation, segment: MutatedSegment): void {
    for (const chunk of segment.chunks) this.deliver(c, (e) => e.data(chunk));
  }

  /** Queues an event; nothing is delivered after `closed` (the socket is gone). */
  private deliver(c: Conversation, fn: (events: TransportEvents) => void, closes = false): void {
    queueMicrotask(() => {
      if (c.closedDelivered) return;
      if (closes) c.closedDelivered = true;
      this.call(() => fn(c.events));
    });
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.escapes.push(e);
    }
  }
}

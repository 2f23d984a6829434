/**
 * A transport (`connect({ transport })`) that plays a (mutated) recorded server stream to the
 * client: each segment is handed over once the client has written as many frames as it had
 * when the broker sent it, or earlier when the driver sees the client stalled
 * ({@link ReplayTransport.releaseNext}). Like a socket, it never calls back from inside the
 * client's own `write()`: every event is queued and delivered in order on a microtask.
 */
import type { Endpoint, Transport, TransportEvents, TransportFactory } from '../../lib/connection/transport';
import { ClientFrameCounter } from './recording';
import type { MutatedSegment } from './mutate';

/** How the stream ends once every segment was delivered and the client still waits. */
export type EndMode = 'eof' | 'reset' | 'silent';

/** See the module comment. */
export class ReplayTransport {
  /** Problems: the client threw out of a transport callback (an escape). */
  readonly escapes: unknown[] = [];
  /** Connection attempts (transport factory calls). */
  attempts = 0;
  /** The client ended or destroyed the transport, or the stream was ended. */
  closed = false;
  /** Bytes the client wrote. */
  written = 0;

  readonly factory: TransportFactory = (_endpoint: Endpoint, events: TransportEvents) => this.open(events);

  private events: TransportEvents | null = null;
  private next = 0;
  private readonly counter = new ClientFrameCounter();
  private closedDelivered = false;

  constructor(private readonly segments: MutatedSegment[]) {}

  /** Segments not yet handed over. */
  get remaining(): number {
    return this.segments.length - this.next;
  }

  /** Hands the next segment over now (the client stalled waiting for it); false when none is left. */
  releaseNext(): boolean {
    if (this.closed || this.next >= this.segments.length) return false;
    this.release(this.segments[this.next++]);
    return true;
  }

  /** Ends the stream from the server's side: a clean end of stream, a reset, or nothing at all. */
  end(mode: EndMode): void {
    if (this.closed || mode === 'silent') return;
    this.closed = true;
    const error = mode === 'reset' ? Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) : undefined;
    this.deliver((e) => e.closed(error), true);
  }

  private open(events: TransportEvents): Transport {
    this.attempts++;
    if (this.events) {
      // A reconnect: the replay has one conversation only; refuse the new one.
      const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      queueMicrotask(() => this.call(() => events.closed(refused)));
      return { write: () => false, end: () => undefined, destroy: () => undefined };
    }
    this.events = events;
    this.deliver((e) => e.connected());
    return {
      write: (bytes) => {
        if (this.closed) return false;
        this.written += bytes.length;
        this.counter.push(bytes);
        while (this.next < this.segments.length && this.segments[this.next].after <= this.counter.count) this.release(this.segments[this.next++]);
        return true;
      },
      end: () => this.clientClosed(),
      destroy: () => this.clientClosed(),
    };
  }

  private clientClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.deliver((e) => e.closed(undefined), true);
  }

  private release(segment: MutatedSegment): void {
    for (const chunk of segment.chunks) this.deliver((e) => e.data(chunk));
  }

  /** Queues an event; nothing is delivered after `closed` (the socket is gone). */
  private deliver(fn: (events: TransportEvents) => void, closes = false): void {
    queueMicrotask(() => {
      if (this.closedDelivered) return;
      if (closes) this.closedDelivered = true;
      this.call(() => fn(this.events!));
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

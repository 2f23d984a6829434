/**
 * The fake server's end of the transport: one session per connection attempt, and everything
 * handed to the client (`connected`, data, `closed`, `drain`) queued and delivered in order
 * through RxJS's `asapScheduler`, never from inside the client's own `write()`.
 */
import { asapScheduler } from 'rxjs';
import type { Endpoint, Transport, TransportEvents } from '../connection/transport';
import type { ClientStream } from './client-stream';
import type { FakeCloseReason } from './fake-server-types';

/** One connection made through the fake server. */
export interface FakeSession {
  /** The client's transport callbacks. */
  readonly events: TransportEvents;
  /** The parser of what the client writes on this connection. */
  readonly stream: ClientStream;
  /** False once either side closed it: nothing more is delivered or parsed. */
  open: boolean;
}

/** How a connection attempt comes up (see `FakeServerOptions.connect`). */
export type ConnectMode = 'accept' | 'refuse' | 'hang';

/** The transport side of the fake server (see the file's documentation). */
export class ClientLink {
  /** The current (last) connection; null before the first. */
  session: FakeSession | null = null;
  /** What `write()` returns: false while the test simulates a full socket buffer. */
  private writable = true;
  private readonly queue: Array<() => void> = [];
  private scheduled = false;

  /**
   * @param errors where an exception thrown out of a client callback is recorded
   * @param ended called when the current session ends, before the client hears of it
   */
  constructor(
    private readonly errors: Error[],
    private readonly ended: (reason: FakeCloseReason) => void,
  ) {}

  /** Whether a connection is up (accepted and not yet closed). */
  get isConnected(): boolean {
    return this.session?.open ?? false;
  }

  /** Whether deliveries are queued or scheduled. */
  get busy(): boolean {
    return this.queue.length > 0 || this.scheduled;
  }

  /** Starts a session for a connection attempt; returns the transport the client writes to. */
  open(endpoint: Endpoint, events: TransportEvents, stream: ClientStream, mode: ConnectMode): Transport {
    const session: FakeSession = { events, stream, open: true };
    this.session = session;
    if (mode === 'accept') {
      this.deliver((s) => s.events.connected());
    } else if (mode === 'refuse') {
      const error = Object.assign(new Error(`connect ECONNREFUSED ${endpoint.hostname}:${endpoint.port}`), {
        code: 'ECONNREFUSED',
      });
      this.deliver((s) => this.close(s, 'refused', error));
    }
    return {
      write: (bytes) => {
        if (this.session === session && session.open) session.stream.push(Buffer.from(bytes));
        return this.writable;
      },
      end: () => {
        if (session.open) this.deliver((s) => this.close(s, 'client-end', undefined), session);
      },
      destroy: () => {
        if (session.open) this.deliver((s) => this.close(s, 'client-destroy', undefined), session);
      },
    };
  }

  /** Hands a chunk to the client (queued). */
  send(chunk: Buffer): void {
    this.deliver((s) => s.events.data(chunk));
  }

  /** Closes the current connection from the server's side (queued). */
  drop(error?: Error): void {
    this.deliver((s) => this.close(s, 'server-drop', error));
  }

  /** Makes `write` report a full buffer (true), or reports `drain` and accepts writes again (false). */
  backpressure(full: boolean): void {
    this.writable = !full;
    if (!full) this.deliver((s) => s.events.drain());
  }

  private close(s: FakeSession, reason: FakeCloseReason, error: Error | undefined): void {
    if (!s.open) return;
    s.open = false;
    if (this.session === s) this.ended(reason);
    s.events.closed(error);
  }

  /** Queues a delivery to a session (the current one by default); dropped if it closed meanwhile. */
  private deliver(fn: (s: FakeSession) => void, session: FakeSession | null = this.session): void {
    if (!session) return;
    this.queue.push(() => {
      if (session.open) fn(session);
    });
    if (!this.scheduled) {
      this.scheduled = true;
      asapScheduler.schedule(() => this.flushQueue());
    }
  }

  private flushQueue(): void {
    this.scheduled = false;
    // Deliveries queued while flushing (by handlers reacting to the client) run in this loop.
    while (this.queue.length > 0) {
      const next = this.queue.shift()!;
      try {
        next();
      } catch (e) {
        this.errors.push(
          new Error(`the client threw out of a transport callback: ${(e as Error)?.message ?? String(e)}`, {
            cause: e,
          }),
        );
      }
    }
  }
}

import { BehaviorSubject, type SchedulerLike, type Subscription } from 'rxjs';
import type { Endpoint, Transport, TransportEvents, TransportFactory } from './transport';

/**
 * How long the socket may stay after the client's last frame (connection.close after a
 * protocol error, close-ok) before it is dropped, when the server does not hang up itself.
 */
const HANG_UP_GRACE = 1000;

/**
 * The connection's hold on its transport: writes and their backpressure (`writable$`), and the
 * end of the stream, with or without a grace period for the server to hang up first.
 */
export class TransportLink {
  /** False while the socket's buffer is full; publishers wait for true. */
  readonly writable$ = new BehaviorSubject<boolean>(true);
  private transport: Transport | null = null;
  /** Drops a socket whose peer does not hang up after our last frame; cleared when it closes. */
  private hangUpTimer: Subscription | null = null;

  constructor(private readonly scheduler: SchedulerLike) {}

  /** Opens the transport to `endpoint`; `events` hear what it reports. */
  open(factory: TransportFactory, endpoint: Endpoint, events: TransportEvents): void {
    this.transport = factory(endpoint, events);
  }

  /** Whether the stream is there (opened, and not reported closed). */
  get isUp(): boolean {
    return this.transport !== null;
  }

  /** Hands bytes to the transport; false when there is none (nothing was written). */
  write(bytes: Buffer): boolean {
    const transport = this.transport;
    if (!transport) return false;
    if (!transport.write(bytes) && this.writable$.value) this.writable$.next(false);
    return true;
  }

  /** The transport flushed its buffer (`drain`): writing may go on. */
  drained(): void {
    this.writable$.next(true);
  }

  /**
   * Ends the stream after our last frame and gives the server {@link HANG_UP_GRACE} to hang up
   * too (it should: after close-ok, or its answer to our connection.close); then drops it. The
   * timer goes as soon as the stream closes, so nothing keeps the process alive after that.
   */
  hangUp(): void {
    const transport = this.transport;
    if (!transport) return;
    transport.end();
    this.hangUpTimer?.unsubscribe();
    this.hangUpTimer = this.scheduler.schedule(() => {
      this.hangUpTimer = null;
      transport.destroy();
    }, HANG_UP_GRACE);
  }

  /** Tears the stream down at once. */
  destroy(): void {
    this.transport?.destroy();
  }

  /** The transport reported the stream closed. */
  closed(): void {
    this.transport = null;
    this.hangUpTimer?.unsubscribe();
    this.hangUpTimer = null;
    this.writable$.next(false);
  }
}

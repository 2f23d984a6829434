import { Observable, ReplaySubject, type Subscription } from 'rxjs';
import type { FieldTable } from '../protocol/field-types';
import type { Protocol } from '../protocol/protocol-version';
import type { ChannelCore } from '../channel/channel-core';
import type { ConnectionCore, ConnectionState } from './connection-core';
import type { TuneResult } from './handshake';
import { NotOpenError, UnsupportedError } from '../channel/errors';

/**
 * One open channel and who holds it. Every channel the Connection opens is listed by its
 * number, so that `channel(id)` and `openChannel(id)` find it whichever way it was opened.
 */
interface SharedChannel<C> {
  core: ChannelCore;
  /** The Channel once open-ok arrived; completes (or errors) when the channel ends. */
  ready: ReplaySubject<C>;
  /** `channel()` subscribers holding it: the last one to leave closes it, unless pinned. */
  refs: number;
  /** Held by `openChannel()`: it then lives until `close()` is called or the connection ends. */
  pinned: boolean;
}

// The public Connection (lib/facades.ts) is `ConnectionBase<Channel>`: it makes the Channel of
// each channel core it opens (`channelOf`), so that this layer never names the public Channel.

/** Every member of a `Connection`; `C` is the class of its channels. */
export abstract class ConnectionBase<C> {
  private readonly shared = new Map<number, SharedChannel<C>>();

  /** @internal The connection's protocol state; for the operators, not part of the public API. */
  readonly core: ConnectionCore;

  /** @internal Connections come from `connect()` / `open()`. */
  constructor(core: ConnectionCore) {
    this.core = core;
  }

  /** @internal The public Channel of a channel core this connection just created. */
  protected abstract channelOf(core: ChannelCore): C;

  /** The dialect spoken. */
  get protocol(): Protocol {
    return this.core.protocol;
  }

  /** The server's properties from connection.start (product, version, capabilities, ...). */
  get serverProperties(): FieldTable {
    return this.core.serverProperties;
  }

  /** Negotiated channelMax, frameMax and heartbeat (seconds). */
  get tune(): Readonly<TuneResult> {
    return this.core.tune;
  }

  /** The broker this connection is on. */
  get endpoint(): { hostname: string; port: number; tls: boolean } {
    const { hostname, port, tls } = this.core.endpoint;
    return { hostname, port, tls };
  }

  /** connecting, handshake, open, closing or closed. */
  get state(): ConnectionState {
    return this.core.state;
  }

  /** Whether the connection is open. */
  get isOpen(): boolean {
    return this.core.state === 'open';
  }

  /** True while the server blocks publishing (connection.blocked, e.g. a memory alarm). */
  get blocked$(): Observable<boolean> {
    return this.core.blocked$.asObservable();
  }

  /** The reason the server gave for blocking ('' when not blocked). */
  get blockedReason(): string {
    return this.core.blockedReason;
  }

  /** False while the socket's write buffer is full (backpressure). */
  get writable$(): Observable<boolean> {
    return this.core.writable$.asObservable();
  }

  /** Resolves when the connection ends, with the error that ended it (undefined: closed by us). */
  get closed(): Promise<Error | undefined> {
    return this.core.closed;
  }

  /**
   * A channel, opened on subscribe and closed on the last unsubscribe. With an `id`, every
   * subscriber asking for that number shares the same open channel (also one that
   * {@link openChannel} opened; that one stays open when the last subscriber leaves, as its
   * `await` holder closes it); without one, each subscription opens its own channel on the
   * lowest free number. Errors with `ChannelClosedError` when the server closes the channel;
   * completes when it is closed by the client (`channel.close()` by any holder).
   */
  channel(id?: number): Observable<C> {
    return new Observable<C>((subscriber) => {
      let entry: SharedChannel<C> | undefined;
      let inner: Subscription | undefined;
      let left = false;
      const join = () => {
        if (left) return;
        try {
          entry = this.liveShared(id) ?? this.openShared(id);
        } catch (e) {
          subscriber.error(e);
          return;
        }
        entry.refs++;
        inner = entry.ready.subscribe(subscriber);
      };
      const busy = this.closingChannel(id);
      if (busy) void busy.then(join);
      else join();
      return () => {
        left = true;
        inner?.unsubscribe();
        if (entry && --entry.refs === 0 && !entry.pinned) {
          if (this.shared.get(entry.core.id) === entry) this.shared.delete(entry.core.id);
          void entry.core.close();
        }
      };
    });
  }

  /**
   * When channel number `id` is taken by a channel that is closing (its last subscriber just
   * left, or `close()` was called), settles once the number is free again; else undefined.
   * Re-subscribing right after an unsubscribe (repeat, retry, a rebuilt pipeline) then gets a
   * fresh channel instead of "channel N is already open".
   */
  private closingChannel(id: number | undefined): Promise<unknown> | undefined {
    if (id === undefined) return undefined;
    const busy = this.core.channels.get(id);
    return busy?.state === 'closing' ? busy.closed : undefined;
  }

  /** The channel numbered `id` if it is opening or open. */
  private liveShared(id: number | undefined): SharedChannel<C> | undefined {
    if (id === undefined) return undefined;
    const entry = this.shared.get(id);
    return entry && (entry.core.state === 'opening' || entry.core.state === 'open') ? entry : undefined;
  }

  private openShared(id: number | undefined): SharedChannel<C> {
    const core = this.core.createChannel(id);
    // Made before channel.open goes out: it makes the deliveries of the core from then on.
    const channel = this.channelOf(core);
    const entry: SharedChannel<C> = { core, ready: new ReplaySubject<C>(1), refs: 0, pinned: false };
    this.shared.set(core.id, entry);
    core.open((error) => {
      if (error) entry.ready.error(error);
      else entry.ready.next(channel);
    });
    void core.closed.then((error) => {
      if (this.shared.get(core.id) === entry) this.shared.delete(core.id);
      if (error) entry.ready.error(error);
      else entry.ready.complete();
    });
    return entry;
  }

  /**
   * Opens a channel for `await` code; its lifetime ends with `channel.close()`,
   * `await using` or the end of the connection. Rejects with a typed error when it cannot be
   * opened.
   *
   * With the `id` of a channel that is already open (or opening), resolves to that same
   * Channel, as the seed's `conn.channel(1)` did and as {@link channel}`(id)` shares it. There
   * is one channel, not one handle per caller: `close()` (or disposing it) is the channel's
   * close and ends it for every holder, `channel(id)` subscribers included (they complete).
   * Conversely, once an `openChannel` caller holds a channel, the last `channel(id)`
   * subscriber leaving does not close it. A channel that is closing is waited for, then
   * opened afresh.
   */
  openChannel(id?: number): Promise<C> {
    const busy = this.closingChannel(id);
    if (busy) return busy.then(() => this.openChannel(id));
    let entry: SharedChannel<C>;
    try {
      entry = this.liveShared(id) ?? this.openShared(id);
    } catch (e) {
      return Promise.reject(e);
    }
    entry.pinned = true;
    const core = entry.core;
    return new Promise<C>((resolve, reject) => {
      entry.ready.subscribe({
        next: resolve,
        error: reject,
        complete: () =>
          reject(new NotOpenError(`channel ${core.id} was closed before it opened`, { cause: core.error })),
      });
    });
  }

  /**
   * `connection.update-secret` (RabbitMQ extension, 0-9-1): replaces the credential (e.g. an
   * expiring OAuth token) without reconnecting.
   */
  updateSecret(newSecret: string, reason: string): Observable<void> {
    return new Observable<void>((subscriber) => {
      if (this.protocol === '0-8') {
        subscriber.error(new UnsupportedError('connection.update-secret does not exist in AMQP 0-8'));
        return;
      }
      const sub = this.core.waitFor('connection.update-secret-ok').subscribe(subscriber);
      try {
        this.core.send('connection.update-secret', { newSecret, reason });
      } catch (e) {
        subscriber.error(e);
      }
      return sub;
    });
  }

  /**
   * Closes gracefully: flushes everything written, waits for outstanding confirms, then
   * connection.close / close-ok and socket end. Starts at once; settles when done.
   */
  close(): Promise<void> {
    return this.core.close();
  }

  /** `await using` support. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

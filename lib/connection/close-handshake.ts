import type { BehaviorSubject, Subscription } from 'rxjs';
import type { ChannelCore } from '../channel/channel-core';
import type { FrameOutput } from '../channel/channel-host';
import { AmqpError, ReplyCode, UnexpectedFrameError } from '../protocol/errors';
import type { ArgsOf } from '../protocol/dispatch';
import type { MethodInput, MethodName } from '../protocol/method-codec';
import type { ConnectionState } from './connection-state';
import { AuthenticationError, ConnectionClosedError } from './errors';
import type { ConnectionSettings } from './settings';
import type { TransportLink } from './transport-link';
import { SHORTSTR_MAX } from './wire-limits';

/** The longest a graceful close waits while the server blocks the connection (it reads nothing then). */
const BLOCKED_CLOSE_LIMIT = 1000;

/** Reply codes from here on are hard errors of protocol handling (frame, syntax, command, channel, ...). */
const HARD_ERROR_FROM = 500;

/** The reason of the client's graceful close. */
const GOODBYE: ArgsOf<'connection.close'> = {
  replyCode: ReplyCode.SUCCESS,
  replyText: 'Goodbye',
  classId: 0,
  methodId: 0,
};

/** What the close handshake needs from its connection. */
export interface ClosingConnection {
  /** Read throughout; set to `'closing'` when a graceful close begins. */
  state: ConnectionState;
  readonly options: Pick<ConnectionSettings, 'closeTimeout' | 'scheduler'>;
  readonly channels: ReadonlyMap<number, ChannelCore>;
  readonly blocked$: BehaviorSubject<boolean>;
  /** Settles when the connection has finished. */
  readonly closed: Promise<Error | undefined>;
  readonly out: FrameOutput;
  /** Writes a method on channel 0. */
  send<N extends MethodName>(name: N, args: MethodInput<N>): void;
  /** Runs `fn`; whatever it throws fails the connection. */
  guard(fn: () => void): void;
  /** The final transition (idempotent). */
  finish(error: Error | undefined): void;
}

/**
 * Both close handshakes of a connection (0-9-1 section 2.2.4): the client's (connection.close,
 * then the server's close-ok), graceful or because of an error, and the server's (its
 * connection.close, answered with close-ok). connection.close goes out at most once.
 */
export class CloseHandshake {
  private promise: Promise<void> | null = null;
  /** Bounds a graceful close. */
  private timer: Subscription | null = null;
  /** connection.close went out: it may be sent once per connection. */
  private sent = false;

  constructor(
    private readonly connection: ClosingConnection,
    private readonly link: TransportLink,
  ) {}

  /**
   * Closes gracefully: waits for the confirms of every channel, then connection.close /
   * close-ok; everything written before is flushed first. Bounded by `closeTimeout` (and by
   * one second while the server blocks the connection, as it then reads nothing).
   */
  close(): Promise<void> {
    const c = this.connection;
    if (this.promise) return this.promise;
    if (c.state === 'closed') return Promise.resolve();
    if (c.state !== 'open') {
      this.abandon();
      return Promise.resolve();
    }
    // Acks queued before the close reach the broker; from now on deliveries cannot be settled.
    for (const channel of c.channels.values()) if (channel.state === 'open') c.guard(() => channel.flushAcks());
    if (c.state !== 'open') return Promise.resolve(); // writing them failed the connection
    c.state = 'closing';
    const { closeTimeout, scheduler } = c.options;
    const limit = c.blocked$.value ? Math.min(BLOCKED_CLOSE_LIMIT, closeTimeout) : closeTimeout;
    this.timer = scheduler.schedule(() => this.abandon(), limit);
    this.promise = this.closeWhenConfirmed();
    return this.promise;
  }

  /** Waits for the confirms (or the end), then sends connection.close and waits for the end. */
  private async closeWhenConfirmed(): Promise<void> {
    const c = this.connection;
    await Promise.race([Promise.all([...c.channels.values()].map((ch) => ch.confirms.drained(ch.closed))), c.closed]);
    if (c.state !== 'closing') return;
    c.guard(() => this.sendClose(GOODBYE));
    await c.closed;
  }

  /**
   * Ends the connection with an error. Protocol errors (those with a hard reply code, and a
   * refused oversized body) are told to the server with connection.close before the socket goes.
   */
  fail(error: Error): void {
    const c = this.connection;
    if (c.state === 'closed') return;
    const reason = closeReasonFor(error);
    if (reason && this.link.isUp && !this.sent && c.state !== 'connecting') {
      try {
        this.sendClose(reason);
        this.link.hangUp();
      } catch {
        this.link.destroy();
      }
    } else {
      this.link.destroy();
    }
    c.finish(error);
  }

  /**
   * The server's connection.close: answered with close-ok; the connection ends with its reason
   * (an {@link AuthenticationError} for a 403 during the login, `duringLogin`).
   */
  onServerClose(args: ArgsOf<'connection.close'>, duringLogin = false): void {
    const { replyCode, replyText, classId, methodId } = args;
    const c = this.connection;
    c.send('connection.close-ok', {});
    c.out.flush();
    this.link.hangUp();
    if (duringLogin && replyCode === ReplyCode.ACCESS_REFUSED) {
      return c.finish(new AuthenticationError(`login refused: ${replyText}`));
    }
    c.finish(new ConnectionClosedError({ replyCode, replyText, classId, methodId }));
  }

  /** The server's close-ok; an error unless the client sent connection.close. */
  onCloseOk(): void {
    if (this.connection.state !== 'closing')
      throw new UnexpectedFrameError('connection.close-ok without connection.close');
    this.link.hangUp();
    this.connection.finish(undefined);
  }

  /** The connection finished: the close timer goes. */
  stop(): void {
    this.timer?.unsubscribe();
    this.timer = null;
  }

  private sendClose(reason: ArgsOf<'connection.close'>): void {
    this.sent = true;
    this.connection.send('connection.close', reason);
    this.connection.out.flush();
  }

  /** Tears the transport down and finishes without an error (a close that cannot wait). */
  private abandon(): void {
    this.link.destroy();
    this.connection.finish(undefined);
  }
}

/**
 * The connection.close the client sends when `error` ends the connection, or undefined when it
 * just drops the socket: hard errors (5xx) and a refused oversized body are the client's reason
 * to close, and it says so.
 */
export function closeReasonFor(error: Error): ArgsOf<'connection.close'> | undefined {
  const code = error instanceof AmqpError ? error.code : undefined;
  if (code === undefined || !(code >= HARD_ERROR_FROM || code === ReplyCode.CONTENT_TOO_LARGE)) return undefined;
  return { replyCode: code, replyText: truncateUtf8(error.message, SHORTSTR_MAX), classId: 0, methodId: 0 };
}

/** The longest prefix of `text` that fits `max` bytes of UTF-8 (a short string's limit). */
function truncateUtf8(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  let out = text.slice(0, max);
  while (Buffer.byteLength(out) > max - 3) out = out.slice(0, -1);
  if (/[\uD800-\uDBFF]$/.test(out)) out = out.slice(0, -1);
  return `${out}...`;
}

import {
  BehaviorSubject,
  filter,
  map,
  type Observable,
  Subject,
  take,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import type { FieldTable } from '../protocol/field-types';
import { AmqpError, FrameError, FrameSyntaxError, ReplyCode, UnexpectedFrameError } from '../protocol/errors';
import { FrameParser, FrameType, FRAME_END, type FrameSink } from '../protocol/frame';
import { decodeArgs, writeMethodFrame, type MethodArgs, type MethodName } from '../protocol/method-codec';
import { methodTable, type MethodTable } from '../protocol/method-table';
import { PROTOCOL_HEADERS, type Protocol } from '../protocol/protocol-version';
import { ChannelCore, type ChannelHost } from '../channel/channel-core';
import {
  AuthenticationError,
  ConnectionClosedError,
  ConnectionLostError,
  ConnectionTimeoutError,
  HeartbeatTimeoutError,
  ProtocolMismatchError,
  RedirectError,
} from './errors';
import { NotOpenError } from '../channel/errors';
import { Handshake, type TuneResult } from './handshake';
import { markRecoverable } from './recovery';
import { TopologyRegistry } from '../channel/topology';
import { HeartbeatMonitor } from './heartbeat';
import type { ConnectionSettings } from './settings';
import { OutputBuffer } from './output';
import type { Endpoint, Transport } from './transport';

/** Decoded arguments, typed once the method's name has been matched. */
type Args = object;

/** `args` as the generated argument type of `name` (which the caller has just matched). */
function argsOf<N extends MethodName>(args: Args, _name: N): MethodArgs<N> {
  return args as MethodArgs<N>;
}

/** Connection lifecycle. */
export type ConnectionState = 'connecting' | 'handshake' | 'open' | 'closing' | 'closed';

/** How a connection tells its owner about its life. */
export interface ConnectionEvents {
  /** open-ok arrived. */
  opened(): void;
  /** The connection is finished: `error` unless it was closed by the client. Called once. */
  ended(error: Error | undefined): void;
  /**
   * Asked once, before anything learns of the loss: will the owner replace this connection?
   * If so the error is marked recoverable (see recovery.ts) before channels are failed with it.
   */
  willRecover?(error: Error): boolean;
}

const HEARTBEAT_FRAME = Uint8Array.of(FrameType.HEARTBEAT, 0, 0, 0, 0, 0, 0, FRAME_END);
/**
 * How long the socket may stay after the client's last frame (connection.close after a
 * protocol error, close-ok) before it is dropped, when the server does not hang up itself.
 */
const HANG_UP_GRACE = 1000;
/** The longest a graceful close waits while the server blocks the connection (it reads nothing then). */
const BLOCKED_CLOSE_LIMIT = 1000;

/**
 * One AMQP connection's protocol state machine: the handshake, channel demultiplexing (a
 * Map from channel number to channel), heartbeats, blocked/unblocked, and both close
 * handshakes. Bytes come in through the transport's `data` callback and leave through the
 * {@link OutputBuffer}; no exception escapes a transport callback: anything thrown while
 * handling input ends the connection with that (typed) error.
 */
export class ConnectionCore implements ChannelHost, FrameSink {
  state: ConnectionState = 'connecting';
  readonly protocol: Protocol;
  readonly table: MethodTable;
  readonly out: OutputBuffer;
  readonly blocked$ = new BehaviorSubject<boolean>(false);
  /** False while the socket's buffer is full; publishers wait for true. */
  readonly writable$ = new BehaviorSubject<boolean>(true);
  readonly channels = new Map<number, ChannelCore>();
  /**
   * Numbers of channels whose close timed out: the server may still think them open, so they
   * are not reused until it confirms (see {@link quarantine}).
   */
  readonly quarantined = new Set<number>();
  /** Settles with the reason the connection ended (undefined: closed by the client). */
  readonly closed: Promise<Error | undefined>;
  serverProperties: FieldTable = {};
  tune: TuneResult;
  sendFrameMax: number;
  readonly maxBodySize: number;
  blockedReason = '';
  error: Error | undefined;

  private readonly parser: FrameParser;
  private readonly handshake: Handshake;
  private transport: Transport | null = null;
  private heartbeat: HeartbeatMonitor | null = null;
  private timer: Subscription | null = null;
  /** Drops a socket whose peer does not hang up after our last frame; cleared when it closes. */
  private hangUpTimer: Subscription | null = null;
  private headerProbe: Buffer | null = null;
  private closePromise: Promise<void> | null = null;
  /** connection.close went out: it may be sent once per connection. */
  private closeSent = false;
  private resolveClosed!: (e: Error | undefined) => void;
  private readonly methods$ = new Subject<string>();

  constructor(
    readonly options: ConnectionSettings,
    readonly endpoint: Endpoint,
    private readonly events: ConnectionEvents,
    /** What the application deleted, shared by the connections of one `connect()`. */
    readonly topology: TopologyRegistry = new TopologyRegistry(),
    /** 0 for the first connection of a `connect()` subscription, then 1, 2, ... per reconnect. */
    readonly generation = 0,
  ) {
    this.protocol = options.protocol;
    this.table = methodTable(options.protocol);
    this.parser = new FrameParser({ frameMax: Math.max(options.frameMax, 131072) });
    this.handshake = new Handshake(options);
    this.maxBodySize = options.maxBodySize;
    this.tune = { channelMax: options.channelMax || 0xffff, frameMax: options.frameMax, heartbeat: 0 };
    this.sendFrameMax = options.frameMax || 131072;
    this.out = new OutputBuffer((bytes) => this.sink(bytes));
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** Opens the transport and starts the handshake. */
  start(): void {
    const { connectionTimeout, scheduler } = this.options;
    if (connectionTimeout > 0) {
      this.timer = scheduler.schedule(() => {
        const stage =
          this.state === 'connecting' ? 'connecting' : `handshake, waiting for ${this.handshakeWaitingFor()}`;
        this.fail(new ConnectionTimeoutError(connectionTimeout, stage));
      }, connectionTimeout);
    }
    this.transport = this.options.transport(this.endpoint, {
      connected: () => this.guard(() => this.onConnected()),
      data: (chunk) => this.guard(() => this.onData(chunk)),
      drain: () => this.guard(() => this.writable$.next(true)),
      closed: (error) => this.guard(() => this.onTransportClosed(error)),
    });
  }

  /** Whether the connection no longer accepts new work (closing or closed). */
  get isClosing(): boolean {
    return this.state === 'closing' || this.state === 'closed';
  }

  // ---- channels ------------------------------------------------------------------------

  /** Creates a channel with `id` (or the lowest free number) and sends channel.open. */
  createChannel(id?: number): ChannelCore {
    if (this.state !== 'open') throw new NotOpenError(`connection is ${this.state}`, { cause: this.error });
    const max = this.tune.channelMax;
    if (id === undefined) {
      id = this.freeChannelId();
    } else if (!Number.isInteger(id) || id < 1 || id > max) {
      throw new AmqpError(
        `channel number ${id} is outside 1..${max} (the negotiated channel_max)`,
        ReplyCode.CHANNEL_ERROR,
      );
    } else if (this.channels.has(id)) {
      throw new AmqpError(`channel ${id} is already open`, ReplyCode.CHANNEL_ERROR);
    } else if (this.quarantined.has(id)) {
      throw new AmqpError(
        `channel ${id} cannot be reused yet: the server has not confirmed its close (close-ok) within closeTimeout`,
        ReplyCode.CHANNEL_ERROR,
      );
    }
    const channel = new ChannelCore(id, this);
    this.channels.set(id, channel);
    return channel;
  }

  private freeChannelId(): number {
    const max = this.tune.channelMax;
    for (let id = 1; id <= max; id++) if (!this.channels.has(id) && !this.quarantined.has(id)) return id;
    throw new AmqpError(`all ${max} channels are in use (the negotiated channel_max)`, ReplyCode.RESOURCE_ERROR);
  }

  /** ChannelHost: a channel finished. */
  release(id: number): void {
    this.channels.delete(id);
  }

  /** ChannelHost: a channel finished without the server's close-ok; see {@link quarantined}. */
  quarantine(id: number): void {
    this.channels.delete(id);
    if (this.state !== 'closed') this.quarantined.add(id);
  }

  /** ChannelHost: the scheduler of every timer. */
  get scheduler(): SchedulerLike {
    return this.options.scheduler;
  }

  /** ChannelHost: what bounds a graceful close. */
  get closeTimeout(): number {
    return this.options.closeTimeout;
  }

  // ---- transport events ---------------------------------------------------------------

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.fail(e instanceof Error ? e : new AmqpError(String(e)));
    }
  }

  private onConnected(): void {
    if (this.state !== 'connecting') return;
    this.state = 'handshake';
    this.out.bytes(PROTOCOL_HEADERS[this.protocol]);
    this.out.flush();
    this.handshake.step = 'start';
  }

  private onData(chunk: Uint8Array): void {
    if (this.state === 'closed') return;
    this.heartbeat?.noteRead();
    if (this.state === 'handshake' && this.handshake.step === 'start' && (this.headerProbe || chunk[0] === 0x41)) {
      // 'A': the server answered with its own protocol header, i.e. it refuses our version.
      this.headerProbe = Buffer.concat([this.headerProbe ?? Buffer.alloc(0), chunk]);
      if (this.headerProbe.length >= 8) throw new ProtocolMismatchError(this.protocol, this.headerProbe.subarray(0, 8));
      return;
    }
    this.parser.pushRaw(chunk, this);
  }

  private onTransportClosed(error: Error | undefined): void {
    this.transport = null;
    this.hangUpTimer?.unsubscribe();
    this.hangUpTimer = null;
    this.writable$.next(false);
    if (this.state === 'closed') return;
    if (this.state === 'closing') return this.finish(undefined);
    if (this.state === 'connecting') {
      return this.finish(
        new ConnectionLostError(`could not connect to ${this.where()}: ${error?.message ?? 'connection closed'}`, {
          cause: error,
        }),
      );
    }
    if (this.state === 'handshake') {
      if (this.headerProbe) return this.finish(new ProtocolMismatchError(this.protocol, this.headerProbe));
      if (this.handshake.step === 'tune' && !this.saysWhyLoginFails()) {
        // The server hung up right after start-ok: how 0-8 (and servers without the
        // authentication_failure_close capability) refuse a login (RabbitMQ with a reset, in
        // 0-8). A server that would have said why (connection.close 403) did not refuse it:
        // that is a lost connection, worth retrying.
        return this.finish(
          new AuthenticationError(`${this.where()} closed the connection after the login: wrong username or password?`),
        );
      }
      return this.finish(
        new ConnectionLostError(
          `${this.where()} closed the connection during the handshake (waiting for ${this.handshakeWaitingFor()})`,
          { cause: error },
        ),
      );
    }
    this.finish(
      new ConnectionLostError(`connection to ${this.where()} lost${error ? `: ${error.message}` : ''}`, {
        cause: error,
      }),
    );
  }

  // ---- frames ---------------------------------------------------------------------------

  /** FrameSink: one frame, its payload being `buf[start..end)`. */
  frame(type: number, channel: number, buf: Buffer, start: number, end: number): void {
    if (this.state === 'closed') return;
    if (channel !== 0) {
      const ch = this.channels.get(channel);
      if (ch !== undefined && this.state !== 'handshake') return ch.onFrame(type, buf, start, end);
      return this.strayFrame(type, channel, buf, start, end);
    }
    if (type === FrameType.HEARTBEAT) return;
    if (type !== FrameType.METHOD) throw new UnexpectedFrameError(`frame type ${type} on channel 0`);
    if (end - start < 4) throw new FrameSyntaxError('method frame shorter than its class and method ids');
    const def = this.table.lookup(buf.readUInt16BE(start), buf.readUInt16BE(start + 2));
    const args = decodeArgs(def, buf, start + 4, end, this.protocol);
    this.onConnectionMethod(def.name, args);
  }

  /** A frame on a channel that is not open (or during the handshake). */
  private strayFrame(type: number, channel: number, buf: Buffer, start: number, end: number): void {
    if (type === FrameType.HEARTBEAT) throw new FrameError(`heartbeat frame on channel ${channel}`);
    if (this.state === 'handshake') throw new UnexpectedFrameError(`frame on channel ${channel} during the handshake`);
    if (this.quarantined.has(channel)) return this.quarantinedFrame(type, channel, buf, start, end);
    if (type === FrameType.METHOD && isCloseOk(buf.subarray(start, end))) return; // close handshakes that crossed
    throw new AmqpError(`frame for channel ${channel}, which is not open`, ReplyCode.CHANNEL_ERROR);
  }

  /**
   * A frame for a channel whose close timed out. What the server sent before it read our
   * channel.close is dropped; its late close-ok frees the number, and so does its own
   * channel.close (answered with close-ok; a close-ok of ours crossing it is then tolerated
   * by whichever channel reuses the number, as for any crossed close).
   */
  private quarantinedFrame(type: number, channel: number, buf: Buffer, start: number, end: number): void {
    if (type !== FrameType.METHOD) return;
    const payload = buf.subarray(start, end);
    if (isCloseOk(payload)) {
      this.quarantined.delete(channel);
    } else if (isChannelClose(payload)) {
      writeMethodFrame(this.out, channel, this.table.named('channel.close-ok'), {});
      this.out.commit();
      this.quarantined.delete(channel);
    }
  }

  private onConnectionMethod(name: string, args: Args): void {
    if (this.state === 'handshake') return this.onHandshakeMethod(name, args);
    switch (name) {
      case 'connection.close':
        return this.onServerClose(argsOf(args, 'connection.close'), undefined);
      case 'connection.close-ok':
        if (this.state !== 'closing') throw new UnexpectedFrameError('connection.close-ok without connection.close');
        this.hangUp();
        return this.finish(undefined);
      case 'connection.blocked':
        this.blockedReason = argsOf(args, 'connection.blocked').reason ?? '';
        if (!this.blocked$.value) this.blocked$.next(true);
        return;
      case 'connection.unblocked':
        this.blockedReason = '';
        if (this.blocked$.value) this.blocked$.next(false);
        return;
      case 'connection.update-secret-ok':
        this.methods$.next(name);
        return;
      default:
        throw new UnexpectedFrameError(`unexpected ${name} on channel 0`);
    }
  }

  private onHandshakeMethod(name: string, args: Args): void {
    const hs = this.handshake;
    if (name === 'connection.close') return this.onServerClose(argsOf(args, 'connection.close'), hs.step);
    if (name === 'connection.start' && hs.step === 'start') {
      this.send('connection.start-ok', hs.onStart(argsOf(args, 'connection.start')));
      this.serverProperties = hs.serverProperties;
    } else if (name === 'connection.secure' && hs.step === 'tune') {
      this.send('connection.secure-ok', hs.onSecure());
    } else if (name === 'connection.tune' && hs.step === 'tune') {
      const { tuneOk, open } = hs.onTune(argsOf(args, 'connection.tune'));
      this.tune = tuneOk;
      this.sendFrameMax = Math.min(tuneOk.frameMax || 0x7fffffff, this.options.frameMax || 0x7fffffff);
      this.parser.frameMax = tuneOk.frameMax;
      this.send('connection.tune-ok', tuneOk);
      this.send('connection.open', open);
    } else if (name === 'connection.open-ok' && hs.step === 'open-ok') {
      this.opened();
    } else if (name === 'connection.redirect' && hs.step === 'open-ok') {
      const redirect = argsOf(args, 'connection.redirect');
      throw new RedirectError(redirect.host, redirect.knownHosts);
    } else {
      throw new UnexpectedFrameError(
        `unexpected ${name} during the handshake (waiting for ${this.handshakeWaitingFor()})`,
      );
    }
  }

  private opened(): void {
    this.state = 'open';
    this.timer?.unsubscribe();
    this.timer = null;
    const seconds = this.tune.heartbeat;
    if (seconds > 0) {
      this.heartbeat = new HeartbeatMonitor(
        seconds,
        this.options.scheduler,
        () => this.sendHeartbeat(),
        () => this.fail(new HeartbeatTimeoutError(seconds)),
      );
      this.heartbeat.start();
    }
    this.events.opened();
  }

  /** Whether the server refuses a login with connection.close 403 (authentication_failure_close) rather than by hanging up. */
  private saysWhyLoginFails(): boolean {
    const capabilities = this.serverProperties.capabilities;
    return (
      this.protocol === '0-9-1' &&
      typeof capabilities === 'object' &&
      capabilities !== null &&
      (capabilities as Record<string, unknown>).authentication_failure_close === true
    );
  }

  private handshakeWaitingFor(): string {
    const step = this.handshake.step;
    return step === 'protocol-header'
      ? 'the TCP connection'
      : step === 'start'
        ? 'connection.start'
        : step === 'tune'
          ? 'connection.tune'
          : 'connection.open-ok';
  }

  private onServerClose(args: MethodArgs<'connection.close'>, handshakeStep: string | undefined): void {
    const reason = {
      replyCode: args.replyCode,
      replyText: args.replyText,
      classId: args.classId,
      methodId: args.methodId,
    };
    this.send('connection.close-ok', {});
    this.out.flush();
    this.hangUp();
    if (handshakeStep === 'tune' && reason.replyCode === ReplyCode.ACCESS_REFUSED) {
      return this.finish(new AuthenticationError(`login refused: ${reason.replyText}`));
    }
    this.finish(new ConnectionClosedError(reason));
  }

  /** Completes when the server next sends method `name` on channel 0; errors if the connection ends first. */
  waitFor(name: string): Observable<void> {
    return this.methods$.pipe(
      filter((n) => n === name),
      take(1),
      map(() => undefined),
    );
  }

  // ---- writing --------------------------------------------------------------------------

  /** Writes a method on channel 0 now. */
  send(name: string, args: object): void {
    writeMethodFrame(this.out, 0, this.table.named(name), args);
    this.out.commit();
  }

  private sendHeartbeat(): void {
    this.out.bytes(HEARTBEAT_FRAME);
    this.out.flush();
  }

  private sink(bytes: Buffer): void {
    const transport = this.transport;
    if (!transport) return;
    this.heartbeat?.noteWrite();
    if (!transport.write(bytes) && this.writable$.value) this.writable$.next(false);
  }

  // ---- closing --------------------------------------------------------------------------

  /**
   * Closes gracefully: waits for the confirms of every channel, then connection.close /
   * close-ok; everything written before is flushed first. Bounded by `closeTimeout` (and by
   * one second while the server blocks the connection, as it then reads nothing).
   */
  close(): Promise<void> {
    if (this.closePromise) return this.closePromise;
    if (this.state === 'closed') return Promise.resolve();
    if (this.state !== 'open') {
      this.transport?.destroy();
      this.finish(undefined);
      return Promise.resolve();
    }
    // Acks queued before the close reach the broker; from now on deliveries cannot be settled.
    for (const channel of this.channels.values()) if (channel.state === 'open') this.guard(() => channel.flushAcks());
    if (this.state !== 'open') return Promise.resolve(); // writing them failed the connection
    this.state = 'closing';
    const limit = this.blocked$.value
      ? Math.min(BLOCKED_CLOSE_LIMIT, this.options.closeTimeout)
      : this.options.closeTimeout;
    this.timer?.unsubscribe();
    this.timer = this.options.scheduler.schedule(() => {
      this.transport?.destroy();
      this.finish(undefined);
    }, limit);
    this.closePromise = (async () => {
      await Promise.race([
        Promise.all([...this.channels.values()].map((c) => c.confirms.drained(c.closed))),
        this.closed,
      ]);
      if (this.state !== 'closing') return;
      this.guard(() => {
        this.closeSent = true;
        this.send('connection.close', { replyCode: ReplyCode.SUCCESS, replyText: 'Goodbye', classId: 0, methodId: 0 });
        this.out.flush();
      });
      await this.closed;
    })();
    return this.closePromise;
  }

  /**
   * Ends the connection with an error. Protocol errors (those with a reply code) are told to
   * the server with connection.close before the socket goes.
   */
  fail(error: Error): void {
    if (this.state === 'closed') return;
    const code = error instanceof AmqpError ? error.code : undefined;
    // Hard errors (5xx) and a refused oversized body are the client's reason to close: say so.
    const tell = code !== undefined && (code >= 500 || code === ReplyCode.CONTENT_TOO_LARGE);
    if (
      this.transport &&
      tell &&
      !this.closeSent &&
      (this.state === 'open' || this.state === 'handshake' || this.state === 'closing')
    ) {
      try {
        const text = truncateUtf8(error.message, 255);
        this.closeSent = true;
        this.send('connection.close', { replyCode: code!, replyText: text, classId: 0, methodId: 0 });
        this.out.flush();
        this.hangUp();
      } catch {
        this.transport.destroy();
      }
    } else {
      this.transport?.destroy();
    }
    this.finish(error);
  }

  /**
   * Ends the socket after our last frame and gives the server {@link HANG_UP_GRACE} to hang up
   * too (it should: after close-ok, or its answer to our connection.close); then drops it. The
   * timer goes as soon as the socket closes, so nothing keeps the process alive after that.
   */
  private hangUp(): void {
    const transport = this.transport;
    if (!transport) return;
    transport.end();
    this.hangUpTimer?.unsubscribe();
    this.hangUpTimer = this.options.scheduler.schedule(() => {
      this.hangUpTimer = null;
      transport.destroy();
    }, HANG_UP_GRACE);
  }

  private finish(error: Error | undefined): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.error = error;
    if (error && this.events.willRecover?.(error)) markRecoverable(error);
    this.timer?.unsubscribe();
    this.timer = null;
    this.heartbeat?.stop();
    this.out.flush();
    this.out.detach();
    const channelError = error ?? new NotOpenError('connection closed');
    for (const channel of [...this.channels.values()]) channel.finish(error ? channelError : undefined);
    this.channels.clear();
    this.quarantined.clear();
    this.blocked$.complete();
    this.writable$.complete();
    this.methods$.error(channelError);
    this.resolveClosed(error);
    this.events.ended(error);
  }

  private where(): string {
    const { hostname, port } = this.endpoint;
    return `${hostname.includes(':') ? `[${hostname}]` : hostname}:${port}`;
  }
}

function isCloseOk(payload: Buffer): boolean {
  return payload.length >= 4 && payload.readUInt16BE(0) === 20 && payload.readUInt16BE(2) === 41;
}

function isChannelClose(payload: Buffer): boolean {
  return payload.length >= 4 && payload.readUInt16BE(0) === 20 && payload.readUInt16BE(2) === 40;
}

/** The longest prefix of `text` that fits `max` bytes of UTF-8 (a short string's limit). */
function truncateUtf8(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  let out = text.slice(0, max);
  while (Buffer.byteLength(out) > max - 3) out = out.slice(0, -1);
  if (/[\uD800-\uDBFF]$/.test(out)) out = out.slice(0, -1);
  return `${out}...`;
}

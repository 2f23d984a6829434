import type { BehaviorSubject, Observable, SchedulerLike, Subscription } from 'rxjs';
import type { FieldTable } from '../protocol/field-types';
import { AmqpError, FrameSyntaxError, UnexpectedFrameError } from '../protocol/errors';
import { DEFAULT_FRAME_MAX, FRAME_MAX_CEILING, FrameParser, FrameType, type FrameSink } from '../protocol/frame';
import { decodeMethodAt, type IncomingMethodName } from '../protocol/dispatch';
import { writeMethodFrame, type MethodInput, type MethodName } from '../protocol/method-codec';
import { methodTable, type MethodTable } from '../protocol/method-table';
import type { Protocol } from '../protocol/protocol-version';
import { ChannelCore, type ChannelHost } from '../channel/channel-core';
import { NotOpenError } from '../channel/errors';
import { TopologyRegistry } from '../channel/topology';
import { ChannelNumbers } from './channel-numbers';
import { ChannelZero } from './channel-zero';
import { CloseHandshake } from './close-handshake';
import { transportClosedError } from './connection-lost';
import type { ConnectionEvents, ConnectionState } from './connection-state';
import { ConnectionTimeoutError } from './errors';
import { Handshake, type TuneResult } from './handshake';
import { HeartbeatMonitor } from './heartbeat';
import { OutputBuffer } from './output';
import { markRecoverable } from './recovery';
import type { ConnectionSettings } from './settings';
import { onStrayFrame } from './stray-frames';
import type { Endpoint } from './transport';
import { TransportLink } from './transport-link';
import { CHANNEL_MAX_LIMIT } from './wire-limits';

export type { ConnectionEvents, ConnectionState } from './connection-state';

/**
 * One AMQP connection's protocol state machine. It routes every incoming frame (to the channel
 * of its number, to the handshake, to {@link ChannelZero}, or as a stray frame), implements the
 * {@link ChannelHost} its channels write through, and runs the connection's life: connect and
 * handshake under `connectionTimeout`, heartbeats, and its end (the close handshakes, failing
 * with an error, the transport's loss). Bytes come in through the transport's `data` callback
 * and leave through the {@link OutputBuffer}; no exception escapes a transport callback:
 * anything thrown while handling input ends the connection with that (typed) error.
 */
export class ConnectionCore implements ChannelHost, FrameSink {
  /** Where the connection is in its life. */
  state: ConnectionState = 'connecting';
  readonly protocol: Protocol;
  readonly table: MethodTable;
  readonly out: OutputBuffer;
  /** True while the server blocks publishing (connection.blocked). */
  readonly blocked$: BehaviorSubject<boolean>;
  /** False while the socket's buffer is full; publishers wait for true. */
  readonly writable$: BehaviorSubject<boolean>;
  /** Open channel numbers and quarantined ones. */
  readonly numbers = new ChannelNumbers();
  /** The open channels by number (the table of {@link numbers}). */
  readonly channels: Map<number, ChannelCore> = this.numbers.open;
  /** Settles with the reason the connection ended (undefined: closed by the client). */
  readonly closed: Promise<Error | undefined>;
  /** The negotiated channel_max, frame_max and heartbeat (the options' until tune). */
  tune: TuneResult;
  sendFrameMax: number;
  readonly maxBodySize: number;
  /** The error the connection ended with, once it has. */
  error: Error | undefined;

  private readonly parser: FrameParser;
  private readonly handshake: Handshake;
  private readonly link: TransportLink;
  private readonly zero: ChannelZero;
  private readonly closing: CloseHandshake;
  private heartbeat: HeartbeatMonitor | null = null;
  /** Ends a connect or handshake that takes longer than `connectionTimeout`. */
  private connectTimer: Subscription | null = null;
  private resolveClosed!: (e: Error | undefined) => void;

  constructor(
    readonly options: ConnectionSettings,
    readonly endpoint: Endpoint,
    private readonly events: ConnectionEvents,
    /** What the application deleted, shared by the connections of one `connect()`. */
    readonly topology: TopologyRegistry = new TopologyRegistry(),
  ) {
    this.protocol = options.protocol;
    this.table = methodTable(options.protocol);
    this.parser = new FrameParser({ frameMax: Math.max(options.frameMax, DEFAULT_FRAME_MAX) });
    this.maxBodySize = options.maxBodySize;
    this.tune = { channelMax: options.channelMax || CHANNEL_MAX_LIMIT, frameMax: options.frameMax, heartbeat: 0 };
    this.sendFrameMax = options.frameMax || DEFAULT_FRAME_MAX;
    this.link = new TransportLink(options.scheduler);
    this.writable$ = this.link.writable$;
    this.closing = new CloseHandshake(this, this.link);
    this.zero = new ChannelZero(this.closing);
    this.handshake = new Handshake(options, this, this.closing);
    this.blocked$ = this.zero.blocked$;
    this.out = new OutputBuffer((bytes) => this.sink(bytes));
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** Opens the transport and starts the handshake. */
  start(): void {
    const { connectionTimeout, scheduler } = this.options;
    if (connectionTimeout > 0) {
      this.connectTimer = scheduler.schedule(() => {
        const stage =
          this.state === 'connecting' ? 'connecting' : `handshake, waiting for ${this.handshake.waitingFor}`;
        this.fail(new ConnectionTimeoutError(connectionTimeout, stage));
      }, connectionTimeout);
    }
    this.link.open(this.options.transport, this.endpoint, {
      connected: () => this.guard(() => this.onConnected()),
      data: (chunk) => this.guard(() => this.onData(chunk)),
      drain: () => this.guard(() => this.link.drained()),
      closed: (error) => this.guard(() => this.onTransportClosed(error)),
    });
  }

  /** The server's properties from connection.start (product, version, capabilities, ...). */
  get serverProperties(): FieldTable {
    return this.handshake.serverProperties;
  }

  /** The reason the server gave for blocking ('' when not blocked). */
  get blockedReason(): string {
    return this.zero.blockedReason;
  }

  // ---- ChannelHost ----------------------------------------------------------------------

  /** Whether the connection no longer accepts new work (closing or closed). */
  get isClosing(): boolean {
    return this.state === 'closing' || this.state === 'closed';
  }

  /** Creates a channel with `id` (or the lowest free number) and sends channel.open. */
  createChannel(id?: number): ChannelCore {
    if (this.state !== 'open') throw new NotOpenError(`connection is ${this.state}`, { cause: this.error });
    const number = this.numbers.take(id, this.tune.channelMax);
    const channel = new ChannelCore(number, this);
    this.channels.set(number, channel);
    return channel;
  }

  /** ChannelHost: a channel finished. */
  release(id: number): void {
    this.numbers.release(id);
  }

  /** ChannelHost: a channel finished without the server's close-ok; see {@link ChannelNumbers}. */
  quarantine(id: number): void {
    if (this.state === 'closed') this.numbers.release(id);
    else this.numbers.quarantine(id);
  }

  /** ChannelHost: the scheduler of every timer. */
  get scheduler(): SchedulerLike {
    return this.options.scheduler;
  }

  /** ChannelHost: what bounds a graceful close. */
  get closeTimeout(): number {
    return this.options.closeTimeout;
  }

  // ---- transport events -----------------------------------------------------------------

  /** Runs `fn`; whatever it throws ends the connection. */
  guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.fail(e instanceof Error ? e : new AmqpError(String(e)));
    }
  }

  private onConnected(): void {
    if (this.state !== 'connecting') return;
    this.state = 'handshake';
    this.handshake.begin();
  }

  private onData(chunk: Uint8Array): void {
    if (this.state === 'closed') return;
    this.heartbeat?.noteRead();
    if (this.state === 'handshake' && this.handshake.takeServerHeader(chunk)) return;
    this.parser.pushRaw(chunk, this);
  }

  private onTransportClosed(error: Error | undefined): void {
    this.link.closed();
    if (this.state === 'closed') return;
    if (this.state === 'closing') return this.finish(undefined);
    this.finish(transportClosedError(this.state, this.handshake, this.endpoint, error));
  }

  // ---- frames ---------------------------------------------------------------------------

  /** FrameSink: one frame, its payload being `buf[start..end)`. */
  frame(type: number, channel: number, buf: Buffer, start: number, end: number): void {
    if (this.state === 'closed') return;
    if (channel !== 0) {
      const ch = this.channels.get(channel);
      if (ch !== undefined && this.state !== 'handshake') return ch.onFrame(type, buf, start, end);
      return onStrayFrame(this, this.state === 'handshake', type, channel, buf, start, end);
    }
    if (type === FrameType.HEARTBEAT) return;
    if (type !== FrameType.METHOD) throw new UnexpectedFrameError(`frame type ${type} on channel 0`);
    if (end - start < 4) throw new FrameSyntaxError('method frame shorter than its class and method ids');
    const def = this.table.lookup(buf.readUInt16BE(start), buf.readUInt16BE(start + 2));
    const method = decodeMethodAt(def, buf, start + 4, end, this.protocol);
    if (this.state === 'handshake') this.handshake.onMethod(method);
    else this.zero.onMethod(method);
  }

  /** Handshake: tune negotiation is done. */
  tuned(tune: TuneResult): void {
    this.tune = tune;
    this.sendFrameMax = Math.min(tune.frameMax || FRAME_MAX_CEILING, this.options.frameMax || FRAME_MAX_CEILING);
    this.parser.frameMax = tune.frameMax;
  }

  /** Handshake: connection.open-ok arrived. */
  opened(): void {
    this.state = 'open';
    this.connectTimer?.unsubscribe();
    this.connectTimer = null;
    const seconds = this.tune.heartbeat;
    if (seconds > 0) {
      this.heartbeat = new HeartbeatMonitor(seconds, this.options.scheduler, this.out, (e) => this.fail(e));
      this.heartbeat.start();
    }
    this.events.opened();
  }

  /** Completes when the server next sends method `name` on channel 0; errors if the connection ends first. */
  waitFor(name: IncomingMethodName): Observable<void> {
    return this.zero.waitFor(name);
  }

  // ---- writing --------------------------------------------------------------------------

  /** Writes a method on channel 0 now. */
  send<N extends MethodName>(name: N, args: MethodInput<N>): void {
    writeMethodFrame(this.out, 0, this.table.named(name), args);
    this.out.commit();
  }

  private sink(bytes: Buffer): void {
    if (this.link.write(bytes)) this.heartbeat?.noteWrite();
  }

  // ---- the end --------------------------------------------------------------------------

  /**
   * Closes gracefully: waits for the confirms of every channel, then connection.close /
   * close-ok; everything written before is flushed first. Bounded by `closeTimeout` (and by
   * one second while the server blocks the connection, as it then reads nothing).
   */
  close(): Promise<void> {
    return this.closing.close();
  }

  /**
   * Ends the connection with an error. Protocol errors (those with a reply code) are told to
   * the server with connection.close before the socket goes.
   */
  fail(error: Error): void {
    this.closing.fail(error);
  }

  /** The final transition: everything waiting is completed or errored. Idempotent. */
  finish(error: Error | undefined): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.error = error;
    if (error && this.events.willRecover?.(error)) markRecoverable(error);
    this.connectTimer?.unsubscribe();
    this.connectTimer = null;
    this.closing.stop();
    this.heartbeat?.stop();
    this.out.flush();
    this.out.detach();
    const channelError = error ?? new NotOpenError('connection closed');
    for (const channel of [...this.channels.values()]) channel.finish(error ? channelError : undefined);
    this.numbers.clear();
    this.zero.end(channelError);
    this.writable$.complete();
    this.resolveClosed(error);
    this.events.ended(error);
  }
}

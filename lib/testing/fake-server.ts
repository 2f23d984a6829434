/**
 * A scripted fake AMQP server that plugs into `connect({ transport })`: no sockets, no broker.
 * It parses everything the client writes into methods (with their content), answers the
 * handshake and the channel/connection open/close methods by default, and lets a test push
 * any bytes to the client, drop the connection or go silent.
 */
import { asapScheduler, type Observable, Subject } from 'rxjs';
import { decodeContentHeader } from '../protocol/content-header';
import { DEFAULT_FRAME_MAX, FRAME_MAX_CEILING, FrameParser, FrameType, type Frame } from '../protocol/frame';
import type { FieldTable } from '../protocol/field-types';
import { decodeMethod, type MethodArgs, type MethodInput, type MethodName } from '../protocol/method-codec';
import { methodTable } from '../protocol/method-table';
import { PROTOCOL_HEADERS, type Protocol } from '../protocol/protocol-version';
import { decodeTable } from '../protocol/table-codec';
import type { Endpoint, Transport, TransportEvents, TransportFactory } from '../connection/transport';
import { contentFrames, heartbeatFrame, methodFrame, type ContentProperties } from './frames';

/** A method the fake server received from the client, decoded. */
export interface ReceivedMethod<N extends MethodName = MethodName> {
  /** The channel it came on (0 for connection methods). */
  channel: number;
  classId: number;
  methodId: number;
  /** `class.method`, e.g. `'basic.publish'`. */
  name: N;
  /** The decoded arguments (camelCase). */
  args: MethodArgs<N> & Record<string, unknown>;
  /** For content methods (`basic.publish`): the content properties. */
  properties?: Record<string, unknown>;
  /** For content methods (`basic.publish`): the whole body, reassembled from its frames. */
  body?: Buffer;
}

/** Reacts to one method from the client; see {@link FakeServer.handle}. */
export type FakeServerHandler<N extends MethodName = MethodName> = (
  method: ReceivedMethod<N>,
  server: FakeServer,
) => void;

/** What the client's SASL response said, as given to {@link FakeServerOptions.authenticate}. */
export interface FakeLogin {
  mechanism: string;
  /** The raw SASL response. */
  response: Buffer;
  /** Parsed from a PLAIN or AMQPLAIN response. */
  username?: string;
  /** Parsed from a PLAIN or AMQPLAIN response. */
  password?: string;
}

/** The values the fake server proposes in `connection.tune`. */
export interface FakeTune {
  /** Default 2047. */
  channelMax?: number;
  /** Default 131072. */
  frameMax?: number;
  /** Seconds. Default 0 (off), so that tests do not start real heartbeat timers by accident. */
  heartbeat?: number;
}

/** Which automatic answers are on (all by default). */
export interface FakeServerAnswers {
  /** connection.start on the protocol header, tune (or secure) after start-ok, open-ok after open. */
  handshake?: boolean;
  /** channel.open-ok for channel.open. */
  channelOpen?: boolean;
  /** channel.close-ok for channel.close. */
  channelClose?: boolean;
  /** connection.close-ok for connection.close. */
  connectionClose?: boolean;
}

/** Options of {@link fakeServer}. */
export interface FakeServerOptions {
  /** The dialect the server speaks. Default `'0-9-1'`. */
  protocol?: Protocol;
  /** The `serverProperties` of connection.start. Default: a product name and, in 0-9-1, RabbitMQ's capabilities. */
  serverProperties?: FieldTable;
  /** SASL mechanisms offered, space-separated. Default `'PLAIN AMQPLAIN'`. */
  mechanisms?: string;
  /** Locales offered, space-separated. Default `'en_US'`. */
  locales?: string;
  /** What connection.tune proposes. */
  tune?: FakeTune;
  /**
   * How the transport comes up: `'accept'` (default) reports `connected`; `'refuse'` reports
   * `closed` with an ECONNREFUSED error; `'hang'` reports nothing, ever.
   */
  connect?: 'accept' | 'refuse' | 'hang';
  /** Start silent: accept the transport, then never send a byte (see {@link FakeServer.silence}). */
  silent?: boolean;
  /**
   * Checks a login. When it returns false the login is refused the way RabbitMQ does it:
   * `connection.close` 403 ACCESS_REFUSED in 0-9-1, the socket simply closed in 0-8.
   * Default: every login is accepted.
   */
  authenticate?: (login: FakeLogin) => boolean;
  /** When set, start-ok is answered with `connection.secure` carrying this challenge, and secure-ok with tune. */
  secure?: string | Uint8Array;
  /** Virtual hosts that exist; connection.open of another is refused with 530 NOT_ALLOWED. Default: all exist. */
  vhosts?: string[];
  /** Turns automatic answers off one by one (all on by default). */
  answer?: FakeServerAnswers;
  /** Handlers by method name, as with {@link FakeServer.handle}. */
  handlers?: { [N in MethodName]?: FakeServerHandler<N> };
  /**
   * Called with the client's 8-byte protocol header instead of the default reaction
   * (connection.start when it matches the server's dialect; otherwise the server's own header
   * and a closed socket, as RabbitMQ does).
   */
  onProtocolHeader?: (header: Uint8Array, server: FakeServer) => void;
}

/** How the last connection ended, from the server's point of view. */
export type FakeCloseReason = 'client-end' | 'client-destroy' | 'server-drop' | 'refused';

interface Session {
  events: TransportEvents;
  endpoint: Endpoint;
  header: Buffer;
  parser: FrameParser;
  open: boolean;
  /** Set once the client's bytes failed to parse: the rest is ignored. */
  broken: boolean;
  /** A content method waiting for its header and body. */
  content: { method: ReceivedMethod; size: number; parts: Buffer[]; received: number; headerSeen: boolean } | null;
}

const CAPABILITIES_0_9_1: FieldTable = {
  publisher_confirms: true,
  exchange_exchange_bindings: true,
  'basic.nack': true,
  consumer_cancel_notify: true,
  'connection.blocked': true,
  consumer_priorities: true,
  authentication_failure_close: true,
  per_consumer_qos: true,
  direct_reply_to: true,
};

/**
 * A scripted AMQP server for tests, usable as a `TransportFactory`:
 *
 * ```ts
 * const server = fakeServer({ tune: { heartbeat: 10 } });
 * connect({ transport: server.transport, scheduler }).subscribe(...);
 * server.handle('queue.declare', (m) => server.reply(m, 'queue.declare-ok', { queue: m.args.queue }));
 * ```
 *
 * **Timing.** Everything the server hands to the client (`connected`, data, `closed`,
 * `drain`) is queued and delivered in order a moment later through RxJS's `asapScheduler`:
 * a microtask in plain tests, and virtual time at the current frame inside
 * `TestScheduler.run()`, which takes over `asapScheduler`. It is never delivered
 * synchronously from inside the client's own `write()`, just as a real socket never answers
 * within a write. What the client writes reaches the server synchronously: the server parses
 * it and runs its handlers within the client's `write()` call. Await {@link idle} in plain
 * tests to let both sides settle; inside `TestScheduler.run()` the flush does it.
 *
 * Problems the server notices (bytes from the client that do not parse, exceptions thrown out
 * of the client's transport callbacks or out of a handler) are collected in {@link errors}
 * rather than thrown into the client; a well-behaved client leaves it empty.
 */
export class FakeServer {
  /** The dialect the server speaks. */
  readonly protocol: Protocol;
  /**
   * Every method received from the client, in order, over all connections made through this
   * server (content methods once their body is complete, with `properties` and `body`).
   */
  readonly received: ReceivedMethod[] = [];
  /** Every frame received from the client, heartbeats included (payloads copied). */
  readonly frames: Frame[] = [];
  /** Problems noticed; see the class documentation. */
  readonly errors: Error[] = [];
  /** Channels the client opened and has not closed (by the server's bookkeeping). */
  readonly openChannels = new Set<number>();
  /** Number of times the transport factory was called (connection attempts). */
  connections = 0;
  /** The endpoint the client asked for on the last attempt. */
  endpoint: Endpoint | undefined;
  /** The protocol header the client sent on the last connection. */
  header: Uint8Array | undefined;
  /** How the last connection ended; undefined while it lives. */
  closedBy: FakeCloseReason | undefined;
  /**
   * frame_max as proposed in tune, then as agreed in tune-ok: {@link sendContent} splits
   * bodies to it, and once agreed a larger frame from the client is recorded in {@link errors}.
   */
  frameMax: number;
  /** Replaces the default reaction to the client's protocol header (see {@link FakeServerOptions.onProtocolHeader}). */
  onProtocolHeader: ((header: Uint8Array, server: FakeServer) => void) | undefined;

  /** The `TransportFactory` to pass as `connect({ transport })`. */
  readonly transport: TransportFactory = (endpoint, events) => this.accept(endpoint, events);

  private readonly options: FakeServerOptions;
  private readonly handlers = new Map<string, FakeServerHandler>();
  private readonly answers: Required<FakeServerAnswers>;
  private readonly received$$ = new Subject<ReceivedMethod>();
  private readonly frames$$ = new Subject<Frame>();
  private session: Session | null = null;
  private silent: boolean;
  private writable = true;
  private readonly queue: Array<() => void> = [];
  private scheduled = false;
  private waiters: Array<{ match: (m: ReceivedMethod) => boolean; resolve: (m: ReceivedMethod) => void }> = [];

  constructor(options: FakeServerOptions = {}) {
    this.options = options;
    this.protocol = options.protocol ?? '0-9-1';
    this.silent = options.silent ?? false;
    this.frameMax = options.tune?.frameMax ?? DEFAULT_FRAME_MAX;
    this.onProtocolHeader = options.onProtocolHeader;
    this.answers = { handshake: true, channelOpen: true, channelClose: true, connectionClose: true, ...options.answer };
    for (const [name, handler] of Object.entries(options.handlers ?? {}))
      this.handlers.set(name, handler as FakeServerHandler);
  }

  /** Methods received, as a hot Observable (no replay: subscribe before they arrive). */
  get received$(): Observable<ReceivedMethod> {
    return this.received$$.asObservable();
  }

  /** Frames received (heartbeats included), as a hot Observable (no replay). */
  get frames$(): Observable<Frame> {
    return this.frames$$.asObservable();
  }

  /** Whether a connection is up (the transport accepted and not yet closed). */
  get isConnected(): boolean {
    return this.session?.open ?? false;
  }

  /** Heartbeat frames received from the client so far. */
  get heartbeats(): number {
    return this.frames.filter((f) => f.type === FrameType.HEARTBEAT).length;
  }

  /**
   * The methods received with a name (all of them without one), typed by that name.
   * @param name e.g. `'basic.publish'`
   */
  methods<N extends MethodName>(name?: N): ReceivedMethod<N>[] {
    return (name === undefined ? this.received : this.received.filter((m) => m.name === name)) as ReceivedMethod<N>[];
  }

  /**
   * Resolves with the first received method (already received, or still to come) with this
   * name and, optionally, matching `where`.
   */
  waitFor<N extends MethodName>(name: N, where?: (m: ReceivedMethod<N>) => boolean): Promise<ReceivedMethod<N>> {
    const match = (m: ReceivedMethod) => m.name === name && (!where || where(m as ReceivedMethod<N>));
    const found = this.received.find(match);
    if (found) return Promise.resolve(found as ReceivedMethod<N>);
    return new Promise((resolve) => this.waiters.push({ match, resolve: resolve as (m: ReceivedMethod) => void }));
  }

  /**
   * Sets (or with `null` removes) the handler of a method. A handler replaces the automatic
   * answer to that method; call {@link autoAnswer} from it to get the default too.
   */
  handle<N extends MethodName>(name: N, handler: FakeServerHandler<N> | null): this {
    if (handler) this.handlers.set(name, handler as FakeServerHandler);
    else this.handlers.delete(name);
    return this;
  }

  /**
   * Answers every `name` with `replyName` on the same channel: a shorthand for a
   * {@link handle} that calls {@link reply}. `args` may be computed from the request.
   */
  answer<N extends MethodName, R extends MethodName>(
    name: N,
    replyName: R,
    args:
      | MethodInput<R>
      | Record<string, unknown>
      | ((m: ReceivedMethod<N>) => MethodInput<R> | Record<string, unknown>) = {},
  ): this {
    return this.handle(name, (m) => this.reply(m, replyName, typeof args === 'function' ? args(m) : args));
  }

  /** Sends `name` on the channel `to` came on. */
  reply<R extends MethodName>(to: ReceivedMethod, name: R, args: MethodInput<R> | Record<string, unknown> = {}): void {
    this.sendMethod(to.channel, name, args);
  }

  /** The automatic answer to a method (what happens when no handler is set), for use inside handlers. */
  autoAnswer(m: ReceivedMethod): void {
    this.defaultAnswer(m);
  }

  // ---- sending --------------------------------------------------------------------------

  /** Hands bytes to the client as one chunk (queued, see the class documentation). */
  send(bytes: Uint8Array): void {
    const chunk = Buffer.from(bytes);
    this.deliver((s) => s.events.data(chunk));
  }

  /** Hands each chunk to the client as a separate `data` event (split frames). */
  sendChunks(chunks: Uint8Array[]): void {
    for (const c of chunks) this.send(c);
  }

  /** Sends one method frame. */
  sendMethod<N extends MethodName>(
    channel: number,
    name: N,
    args: MethodInput<N> | Record<string, unknown> = {},
  ): void {
    this.send(methodFrame(channel, name, args, this.protocol));
  }

  /**
   * Sends a content method (basic.deliver, basic.get-ok, basic.return) with its header and
   * body frames, bodies split at the negotiated frame_max, all in one chunk.
   */
  sendContent<N extends MethodName>(
    channel: number,
    name: N,
    args: MethodInput<N> | Record<string, unknown>,
    body: Uint8Array | string = new Uint8Array(0),
    properties: ContentProperties = {},
  ): void {
    this.send(
      contentFrames(channel, name, args, body, properties, { frameMax: this.frameMax, protocol: this.protocol }),
    );
  }

  /** Sends a heartbeat frame. */
  heartbeat(): void {
    this.send(heartbeatFrame());
  }

  /** Sends connection.start as configured (for scripts that turned the automatic handshake off). */
  start(): void {
    const o = this.options;
    const serverProperties = o.serverProperties ?? {
      product: 'rx-amqp fake server',
      version: '0.0.0',
      ...(this.protocol === '0-9-1' ? { capabilities: CAPABILITIES_0_9_1 } : {}),
    };
    this.sendMethod(0, 'connection.start', {
      versionMajor: 0,
      versionMinor: this.protocol === '0-9-1' ? 9 : 8,
      serverProperties,
      mechanisms: o.mechanisms ?? 'PLAIN AMQPLAIN',
      locales: o.locales ?? 'en_US',
    });
  }

  /** Sends connection.tune as configured. */
  tune(): void {
    const t = this.options.tune ?? {};
    this.sendMethod(0, 'connection.tune', {
      channelMax: t.channelMax ?? 2047,
      frameMax: t.frameMax ?? DEFAULT_FRAME_MAX,
      heartbeat: t.heartbeat ?? 0,
    });
  }

  /** Closes the connection from the server's side: `closed(error)` reaches the client (no error: a clean end of stream). */
  drop(error?: Error): void {
    this.deliver((s) => this.closeSession(s, 'server-drop', error));
  }

  /** Goes silent: from now on nothing is answered automatically and no handler runs (explicit sends still go). */
  silence(): void {
    this.silent = true;
  }

  /** Makes `write` report a full buffer (true), or reports `drain` and accepts writes again (false). */
  backpressure(full: boolean): void {
    this.writable = !full;
    if (!full) this.deliver((s) => s.events.drain());
  }

  /**
   * Resolves once everything queued for the client has been delivered and both sides have run
   * out of microtask work (for plain, non-marble tests).
   */
  async idle(): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.queue.length === 0 && !this.scheduled) return;
    }
    throw new Error('fake server: still busy after 1000 turns');
  }

  // ---- the transport --------------------------------------------------------------------

  private accept(endpoint: Endpoint, events: TransportEvents): Transport {
    this.connections++;
    this.endpoint = endpoint;
    this.header = undefined;
    this.closedBy = undefined;
    this.openChannels.clear();
    this.frameMax = this.options.tune?.frameMax ?? DEFAULT_FRAME_MAX;
    const session: Session = {
      events,
      endpoint,
      header: Buffer.alloc(0),
      // Until tune-ok agrees on a frame_max, any frame size is accepted from the client.
      parser: new FrameParser({ frameMax: FRAME_MAX_CEILING }),
      open: true,
      broken: false,
      content: null,
    };
    this.session = session;
    const mode = this.options.connect ?? 'accept';
    if (mode === 'accept') {
      this.deliver((s) => s.events.connected());
    } else if (mode === 'refuse') {
      const error = Object.assign(new Error(`connect ECONNREFUSED ${endpoint.hostname}:${endpoint.port}`), {
        code: 'ECONNREFUSED',
      });
      this.deliver((s) => this.closeSession(s, 'refused', error));
    }
    return {
      write: (bytes) => {
        if (this.session === session && session.open) this.onBytes(session, Buffer.from(bytes));
        return this.writable;
      },
      end: () => {
        if (session.open) this.deliver((s) => this.closeSession(s, 'client-end', undefined), session);
      },
      destroy: () => {
        if (session.open) this.deliver((s) => this.closeSession(s, 'client-destroy', undefined), session);
      },
    };
  }

  private closeSession(s: Session, reason: FakeCloseReason, error: Error | undefined): void {
    if (!s.open) return;
    s.open = false;
    if (this.session === s) {
      this.closedBy = reason;
      this.openChannels.clear();
    }
    s.events.closed(error);
  }

  /** Queues a delivery to a session (the current one by default); dropped if it closed meanwhile. */
  private deliver(fn: (s: Session) => void, session: Session | null = this.session): void {
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

  // ---- parsing what the client writes ---------------------------------------------------

  private onBytes(s: Session, chunk: Buffer): void {
    if (s.broken) return;
    try {
      if (s.header.length < 8) {
        const need = 8 - s.header.length;
        s.header = Buffer.concat([s.header, chunk.subarray(0, need)]);
        chunk = chunk.subarray(need);
        if (s.header.length < 8) return;
        this.header = Uint8Array.from(s.header);
        this.onHeader(s.header);
      }
      if (chunk.length > 0) s.parser.push(chunk, (frame) => this.onFrame(s, frame));
    } catch (e) {
      s.broken = true;
      this.errors.push(e as Error);
    }
  }

  private onHeader(header: Buffer): void {
    if (this.onProtocolHeader) return this.onProtocolHeader(Uint8Array.from(header), this);
    if (this.silent || !this.answers.handshake) return;
    if (header.equals(PROTOCOL_HEADERS[this.protocol])) return this.start();
    // RabbitMQ's answer to a header it does not accept: its own header, then it hangs up.
    this.send(PROTOCOL_HEADERS[this.protocol]);
    this.drop();
  }

  private onFrame(s: Session, raw: Frame): void {
    const frame: Frame = { type: raw.type, channel: raw.channel, payload: Buffer.from(raw.payload) };
    this.frames.push(frame);
    this.frames$$.next(frame);
    const payload = frame.payload as Buffer;
    if (frame.type === FrameType.HEARTBEAT) return;
    if (s.content && frame.channel === s.content.method.channel && frame.type !== FrameType.METHOD) {
      return this.onContentFrame(s, frame.type, payload);
    }
    if (frame.type !== FrameType.METHOD)
      throw new Error(`fake server: unexpected frame type ${frame.type} on channel ${frame.channel}`);
    if (s.content && frame.channel === s.content.method.channel)
      throw new Error(`fake server: method frame on channel ${frame.channel} in the middle of content`);
    const m = decodeMethod(payload, this.protocol);
    const method = {
      channel: frame.channel,
      classId: m.classId,
      methodId: m.methodId,
      name: m.name,
      args: m.args,
    } as ReceivedMethod;
    if (methodTable(this.protocol).lookup(m.classId, m.methodId).content) {
      s.content = { method, size: 0, parts: [], received: 0, headerSeen: false };
      return;
    }
    this.onMethod(method);
  }

  private onContentFrame(s: Session, type: number, payload: Buffer): void {
    const c = s.content!;
    if (type === FrameType.HEADER) {
      if (c.headerSeen) throw new Error('fake server: second content header');
      const h = decodeContentHeader(payload, this.protocol);
      c.headerSeen = true;
      c.size = h.bodySize;
      c.method.properties = h.properties;
    } else if (type === FrameType.BODY) {
      if (!c.headerSeen) throw new Error('fake server: body frame before the content header');
      c.parts.push(payload);
      c.received += payload.length;
      if (c.received > c.size) throw new Error(`fake server: ${c.received} body bytes, ${c.size} announced`);
    } else {
      throw new Error(`fake server: frame type ${type} in the middle of content`);
    }
    if (c.received === c.size) {
      s.content = null;
      c.method.body = Buffer.concat(c.parts, c.size);
      this.onMethod(c.method);
    }
  }

  private onMethod(m: ReceivedMethod): void {
    this.bookkeeping(m);
    this.received.push(m);
    this.received$$.next(m);
    for (const w of this.waiters.filter((w) => w.match(m))) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(m);
    }
    if (this.silent) return;
    const handler = this.handlers.get(m.name);
    if (!handler) return this.defaultAnswer(m);
    try {
      handler(m, this);
    } catch (e) {
      this.errors.push(
        new Error(`fake server handler for ${m.name} threw: ${(e as Error)?.message ?? String(e)}`, { cause: e }),
      );
    }
  }

  /** State the server keeps whoever answers. */
  private bookkeeping(m: ReceivedMethod): void {
    const args = m.args as Record<string, unknown>;
    switch (m.name) {
      case 'connection.tune-ok': {
        const frameMax = args.frameMax as number;
        this.frameMax = frameMax;
        if (this.session) this.session.parser.frameMax = frameMax === 0 ? FRAME_MAX_CEILING : frameMax;
        return;
      }
      case 'channel.open':
        this.openChannels.add(m.channel);
        return;
      case 'channel.close':
      case 'channel.close-ok':
        this.openChannels.delete(m.channel);
        return;
    }
  }

  private defaultAnswer(m: ReceivedMethod): void {
    const args = m.args as Record<string, unknown>;
    const a = this.answers;
    switch (m.name) {
      case 'connection.start-ok': {
        if (!a.handshake) return;
        if (!this.loginAccepted(args)) return this.refuseLogin(args.mechanism as string);
        if (this.options.secure !== undefined)
          return this.sendMethod(0, 'connection.secure', { challenge: this.options.secure });
        return this.tune();
      }
      case 'connection.secure-ok':
        if (a.handshake) this.tune();
        return;
      case 'connection.open': {
        if (!a.handshake) return;
        const vhost = args.virtualHost as string;
        const vhosts = this.options.vhosts;
        if (vhosts && !vhosts.includes(vhost)) {
          return this.sendMethod(0, 'connection.close', {
            replyCode: 530,
            replyText: `NOT_ALLOWED - vhost ${vhost} not found`,
            classId: 10,
            methodId: 40,
          });
        }
        return this.sendMethod(0, 'connection.open-ok', {});
      }
      case 'connection.close':
        if (a.connectionClose) this.sendMethod(0, 'connection.close-ok', {});
        return;
      case 'connection.close-ok':
        // The client answered a server-sent connection.close: the server hangs up.
        return this.drop();
      case 'channel.open':
        if (a.channelOpen) this.sendMethod(m.channel, 'channel.open-ok', {});
        return;
      case 'channel.close':
        if (a.channelClose) this.sendMethod(m.channel, 'channel.close-ok', {});
        return;
    }
  }

  private loginAccepted(args: Record<string, unknown>): boolean {
    const check = this.options.authenticate;
    if (!check) return true;
    const mechanism = args.mechanism as string;
    const response = args.response as Buffer;
    const login: FakeLogin = { mechanism, response };
    if (mechanism === 'PLAIN') {
      const parts = response.toString('utf8').split('\0');
      if (parts.length === 3) [, login.username, login.password] = parts;
    } else if (mechanism === 'AMQPLAIN') {
      const size = Buffer.alloc(4);
      size.writeUInt32BE(response.length);
      const t = decodeTable(Buffer.concat([size, response]), this.protocol);
      login.username = typeof t.LOGIN === 'string' ? t.LOGIN : undefined;
      login.password = typeof t.PASSWORD === 'string' ? t.PASSWORD : undefined;
    }
    return check(login);
  }

  private refuseLogin(mechanism: string): void {
    if (this.protocol === '0-8') return this.drop();
    this.sendMethod(0, 'connection.close', {
      replyCode: 403,
      replyText: `ACCESS_REFUSED - Login was refused using authentication mechanism ${mechanism}. For details see the broker logfile.`,
      classId: 0,
      methodId: 0,
    });
  }
}

/**
 * Creates a scripted fake AMQP server; pass `server.transport` to `connect()`. See
 * {@link FakeServer} for the timing rules and the API.
 * @param options dialect, handshake values, automatic answers and handlers
 */
export function fakeServer(options: FakeServerOptions = {}): FakeServer {
  return new FakeServer(options);
}

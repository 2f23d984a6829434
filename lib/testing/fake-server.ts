/**
 * A scripted fake AMQP server that plugs into `connect({ transport })`: no sockets, no broker.
 * It parses everything the client writes into methods (with their content), answers the
 * handshake and the channel/connection open/close methods by default, and lets a test push
 * any bytes to the client, drop the connection or go silent.
 *
 * This file is the script (handlers, automatic answers, silence); the wire it runs on is
 * `fake-server-wire.ts` (with `client-link.ts`, `client-stream.ts`, `received-log.ts`), the
 * automatic answers `auto-answer.ts` and `fake-handshake.ts`.
 */
import type { FieldTable } from '../protocol/field-types';
import type { MethodInput, MethodName } from '../protocol/method-codec';
import type { Protocol } from '../protocol/protocol-version';
import { AutoAnswer } from './auto-answer';
import { startArgs, tuneArgs } from './fake-handshake';
import type { FakeLogin, FakeServerAnswers, FakeTune, ReceivedMethod } from './fake-server-types';
import { FakeServerWire } from './fake-server-wire';

export type { FakeCloseReason, FakeLogin, FakeServerAnswers, FakeTune, ReceivedMethod } from './fake-server-types';

/** Reacts to one method from the client; see {@link FakeServer.handle}. */
export type FakeServerHandler<N extends MethodName = MethodName> = (
  method: ReceivedMethod<N>,
  server: FakeServer,
) => void;

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
export class FakeServer extends FakeServerWire {
  /** Replaces the default reaction to the client's protocol header (see {@link FakeServerOptions.onProtocolHeader}). */
  onProtocolHeader: ((header: Uint8Array, server: FakeServer) => void) | undefined;

  private readonly options: FakeServerOptions;
  private readonly handlers = new Map<string, FakeServerHandler>();
  private readonly auto: AutoAnswer;
  private silent: boolean;

  constructor(options: FakeServerOptions = {}) {
    super(options.protocol ?? '0-9-1', options.tune, options.connect ?? 'accept');
    this.options = options;
    this.silent = options.silent ?? false;
    this.onProtocolHeader = options.onProtocolHeader;
    this.auto = new AutoAnswer(this, options, options.answer);
    for (const [name, handler] of Object.entries(options.handlers ?? {}))
      this.handlers.set(name, handler as FakeServerHandler);
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
    this.auto.method(m);
  }

  /** Sends connection.start as configured (for scripts that turned the automatic handshake off). */
  start(): void {
    this.sendMethod(0, 'connection.start', startArgs(this.protocol, this.options));
  }

  /** Sends connection.tune as configured. */
  tune(): void {
    this.sendMethod(0, 'connection.tune', tuneArgs(this.options.tune));
  }

  /** Goes silent: from now on nothing is answered automatically and no handler runs (explicit sends still go). */
  silence(): void {
    this.silent = true;
  }

  /** @internal */
  protected override onHeader(header: Buffer): void {
    if (this.onProtocolHeader) return this.onProtocolHeader(Uint8Array.from(header), this);
    if (!this.silent) this.auto.header(header);
  }

  /** @internal */
  protected override onMethod(m: ReceivedMethod): void {
    if (this.silent) return;
    const handler = this.handlers.get(m.name);
    if (!handler) return this.auto.method(m);
    try {
      handler(m, this);
    } catch (e) {
      this.errors.push(
        new Error(`fake server handler for ${m.name} threw: ${(e as Error)?.message ?? String(e)}`, { cause: e }),
      );
    }
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

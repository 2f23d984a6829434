/**
 * The harness of the invariant properties (not a spec itself).
 *
 * One {@link Run} is one client connection to the in-process fake server, with:
 * - a `VirtualTimeScheduler` injected as the connection's scheduler: every timer of the
 *   client (close bounds, timeouts, grace periods) is virtual; time only passes in
 *   {@link Run.advance}, so no run ever sleeps;
 * - a byte count of everything the client handed to its transport and, for every method the
 *   server received, the byte offset where it ended. {@link Run.mark} takes the client's
 *   position (bytes handed over plus bytes still in its output buffer), so
 *   {@link Run.writtenAfter} tells exactly which methods the client wrote after a moment,
 *   whatever the output buffer's end-of-tick flush does;
 * - traps for errors nobody handled: RxJS `config.onUnhandledError`, process
 *   `unhandledRejection` and `uncaughtException`, all collected into {@link Run.problems};
 * - the final checks every property shares ({@link Run.finish}): `connection.close()`
 *   settles within `closeTimeout` of virtual time, no virtual timer is left pending, no new
 *   real timer handle is alive, and nothing was reported unhandled.
 *
 * The fake server answers the synchronous methods the operators send (confirm.select,
 * basic.qos, basic.consume, basic.cancel, the topology methods) unless a property takes them
 * over; whether and when it answers `channel.close` is a switch ({@link Run.channelCloseReply}).
 */
import { config, VirtualTimeScheduler } from 'rxjs';
import { connect, type Connection } from 'rx-amqp';
import { fakeServer, type FakeServer, type FakeServerOptions, type ReceivedMethod } from 'rx-amqp/testing';
import { record, type Outcome } from '../support/fake';

/** A method the server received, with the client's byte offset where it ended. */
export interface Written {
  method: ReceivedMethod;
  /** Bytes the client had handed over once this method was complete. */
  end: number;
}

/** Options of {@link Run.open}. */
export interface RunOptions {
  /** The connection's closeTimeout (virtual ms). Default 1000. */
  closeTimeout?: number;
  /** Passed to the fake server. */
  server?: FakeServerOptions;
}

const realSetTimeout = globalThis.setTimeout;
const realSetInterval = globalThis.setInterval;
const realClearTimeout = globalThis.clearTimeout;
const realClearInterval = globalThis.clearInterval;

/** Waits `ms` of real time with a timer the {@link TimerTracker} does not count. */
function realDelay(ms: number): Promise<void> {
  return new Promise((resolve) => realSetTimeout(resolve, ms));
}

/**
 * Tracks the real timers created during one run (`setTimeout` / `setInterval` of the global
 * scope, which RxJS's `asyncScheduler` and its unhandled-error reporter use): which are still
 * pending and referenced at the end, i.e. would keep a Node process alive. An exception thrown
 * out of a timer's callback is recorded too.
 */
class TimerTracker {
  private readonly live = new Set<NodeJS.Timeout>();

  constructor(caught: string[]) {
    const live = this.live;
    const record = (what: string, e: unknown) => caught.push(`uncaught exception from a ${what}: ${describeError(e)}`);
    globalThis.setTimeout = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const t: NodeJS.Timeout = realSetTimeout(() => {
        live.delete(t);
        try {
          fn(...args);
        } catch (e) {
          record('setTimeout callback', e);
        }
      }, ms);
      live.add(t);
      return t;
    }) as unknown as typeof setTimeout;
    globalThis.setInterval = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const t: NodeJS.Timeout = realSetInterval(() => {
        try {
          fn(...args);
        } catch (e) {
          record('setInterval callback', e);
        }
      }, ms);
      live.add(t);
      return t;
    }) as unknown as typeof setInterval;
    globalThis.clearTimeout = ((t: NodeJS.Timeout | undefined) => {
      if (t) live.delete(t);
      realClearTimeout(t);
    }) as typeof clearTimeout;
    globalThis.clearInterval = ((t: NodeJS.Timeout | undefined) => {
      if (t) live.delete(t);
      realClearInterval(t);
    }) as typeof clearInterval;
  }

  /** Real timers created during the run, still pending and referenced. */
  get alive(): number {
    return [...this.live].filter((t) => t.hasRef()).length;
  }

  /** Restores the global timer functions and cancels what is left (so it cannot leak into the next run). */
  remove(): void {
    globalThis.setTimeout = realSetTimeout;
    globalThis.setInterval = realSetInterval;
    globalThis.clearTimeout = realClearTimeout;
    globalThis.clearInterval = realClearInterval;
    for (const t of this.live) realClearInterval(t);
    this.live.clear();
  }
}

/**
 * Unhandled-error traps installed for the duration of one run: RxJS's
 * `config.onUnhandledError` (errors no subscriber handles, which RxJS would otherwise throw
 * from a timer), exceptions out of timer callbacks (see {@link TimerTracker}), and the process
 * events. Under jest the process events do not reach a test's listeners: jest itself fails the
 * test on an unhandled rejection or uncaught exception (without fast-check's seed, though).
 */
class Traps {
  readonly caught: string[] = [];
  readonly timers = new TimerTracker(this.caught);
  private readonly previous = config.onUnhandledError;
  private readonly onRejection = (reason: unknown) => this.caught.push(`unhandled rejection: ${describeError(reason)}`);
  private readonly onException = (error: unknown) => this.caught.push(`uncaught exception: ${describeError(error)}`);

  constructor() {
    config.onUnhandledError = (e) => this.caught.push(`RxJS unhandled error: ${describeError(e)}`);
    process.on('unhandledRejection', this.onRejection);
    process.on('uncaughtException', this.onException);
  }

  remove(): void {
    this.timers.remove();
    config.onUnhandledError = this.previous;
    process.off('unhandledRejection', this.onRejection);
    process.off('uncaughtException', this.onException);
  }
}

/** A short description of a thrown value. */
export function describeError(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** One connection to the fake server under virtual time, with the recordings above. */
export class Run {
  readonly scheduler = new VirtualTimeScheduler();
  readonly written: Written[] = [];
  /** Violations found (invariants broken, errors unhandled); a run passes when it stays empty. */
  readonly problems: string[] = [];
  /**
   * How the server meets the client's channel.close: answer close-ok at once, hold the
   * answer until {@link releaseChannelCloses}, or never answer.
   */
  channelCloseReply: 'answer' | 'hold' | 'ignore' = 'answer';
  /** channel.close methods held back (see {@link channelCloseReply}). */
  readonly heldChannelCloses: ReceivedMethod[] = [];
  connection!: Connection;
  connected!: Outcome<Connection>;
  readonly closeTimeout: number;

  private bytesHanded = 0;
  private serverBytes = 8; // the protocol header is not a frame
  private readonly traps = new Traps();
  private consumerTags = 0;

  private constructor(
    readonly server: FakeServer,
    options: RunOptions,
  ) {
    this.closeTimeout = options.closeTimeout ?? 1000;
    server.frames$.subscribe((f) => (this.serverBytes += 8 + f.payload.length));
    server.received$.subscribe((m) => this.written.push({ method: m, end: this.serverBytes }));
    server.answer('confirm.select', 'confirm.select-ok');
    server.answer('basic.qos', 'basic.qos-ok');
    server.answer('basic.consume', 'basic.consume-ok', (m) => ({
      consumerTag: m.args.consumerTag || `ctag-${++this.consumerTags}`,
    }));
    server.answer('basic.cancel', 'basic.cancel-ok', (m) => ({ consumerTag: m.args.consumerTag }));
    server.answer('exchange.declare', 'exchange.declare-ok');
    server.answer('exchange.bind', 'exchange.bind-ok');
    server.answer('queue.declare', 'queue.declare-ok', (m) => ({
      queue: m.args.queue || 'amq.gen-1',
      messageCount: 0,
      consumerCount: 0,
    }));
    server.answer('queue.bind', 'queue.bind-ok');
    server.answer('access.request', 'access.request-ok', { ticket: 1 });
    server.handle('channel.close', (m) => {
      if (this.channelCloseReply === 'answer') server.autoAnswer(m);
      else if (this.channelCloseReply === 'hold') this.heldChannelCloses.push(m);
    });
  }

  /** Connects to a new fake server and waits for the Connection. */
  static async open(options: RunOptions = {}): Promise<Run> {
    const server = fakeServer(options.server);
    const run = new Run(server, options);
    const transport = server.transport;
    run.connected = record(
      connect({
        username: 'guest',
        password: 'guest',
        closeTimeout: run.closeTimeout,
        scheduler: run.scheduler,
        transport: (endpoint, events) => {
          const t = transport(endpoint, events);
          return {
            write: (bytes) => {
              run.bytesHanded += bytes.length;
              return t.write(bytes);
            },
            end: () => t.end(),
            destroy: () => t.destroy(),
          };
        },
      }),
    );
    await run.settle();
    if (run.connected.values.length !== 1) {
      run.traps.remove();
      throw new Error(
        `the connection did not open: ${run.connected.errored ? describeError(run.connected.error) : 'no value'}`,
      );
    }
    run.connection = run.connected.values[0];
    return run;
  }

  /** The client's position now: bytes handed to the transport plus bytes in its output buffer. */
  mark(): number {
    return this.bytesHanded + this.connection.core.out.pending;
  }

  /** Methods the client wrote after `mark` (on `channel` only, when given). */
  writtenAfter(mark: number, channel?: number): ReceivedMethod[] {
    return this.written
      .filter((w) => w.end > mark && (channel === undefined || w.method.channel === channel))
      .map((w) => w.method);
  }

  /** Methods the client wrote (on `channel` only, when given). */
  methods(channel?: number): ReceivedMethod[] {
    return this.written.filter((w) => channel === undefined || w.method.channel === channel).map((w) => w.method);
  }

  /** Answers the channel.close methods held back so far. */
  releaseChannelCloses(): void {
    for (const m of this.heldChannelCloses.splice(0)) this.server.autoAnswer(m);
  }

  /** Records a violation. */
  problem(text: string): void {
    this.problems.push(text);
  }

  /**
   * Lets both sides settle: everything the server queued is delivered, microtasks and the
   * asap scheduler run out, and virtual timers that are due now run. No virtual time passes.
   */
  async settle(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      await this.server.idle();
      if (!this.runDue(this.scheduler.frame)) return;
    }
    this.problem('still busy after 50 rounds of settling');
  }

  /** Lets `ms` of virtual time pass (running the timers due meanwhile), settling in between. */
  async advance(ms: number): Promise<void> {
    const target = this.scheduler.frame + ms;
    await this.settle();
    while (this.scheduler.actions.length > 0 && this.scheduler.actions[0].delay <= target) {
      this.runDue(this.scheduler.actions[0].delay);
      await this.settle();
    }
    // Move the clock to the target even when no timer is due then.
    this.scheduler.schedule(() => undefined, target - this.scheduler.frame);
    this.runDue(target);
    await this.settle();
  }

  /** Runs the virtual timers due at or before `frame`; whether any ran. */
  private runDue(frame: number): boolean {
    const first = this.scheduler.actions[0];
    if (!first || first.delay > frame) return false;
    this.scheduler.maxFrames = frame;
    try {
      this.scheduler.flush();
    } catch (e) {
      this.problem(`a timer threw: ${describeError(e)}`);
    } finally {
      this.scheduler.maxFrames = Infinity;
    }
    return true;
  }

  /**
   * Checks that `promise` settles within `closeTimeout` of virtual time from now; `what`
   * names it in the violation.
   */
  async settlesWithinCloseTimeout(promise: Promise<unknown>, what: string): Promise<void> {
    let settled = false;
    promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    await this.settle();
    if (!settled) await this.advance(this.closeTimeout);
    if (!settled) this.problem(`${what} did not settle within closeTimeout (${this.closeTimeout} ms)`);
  }

  /**
   * The checks every run ends with: the connection closes within closeTimeout, then no
   * virtual timer is pending, no new real timer handle is alive and nothing went unhandled.
   * Throws with every violation collected during the run.
   */
  async finish(): Promise<void> {
    try {
      if (this.connection) await this.settlesWithinCloseTimeout(this.connection.close(), 'connection.close()');
      await this.settle();
      const pending = this.scheduler.actions.filter((a) => !a.closed);
      if (pending.length > 0)
        this.problem(
          `${pending.length} virtual timer(s) still pending after the connection closed (at ${pending.map((a) => a.delay).join(', ')})`,
        );
      // Errors RxJS cannot deliver are reported from a real setTimeout(0): let them arrive.
      await realDelay(0);
      const timers = this.traps.timers.alive;
      if (timers > 0) this.problem(`${timers} real timer(s) left pending: they would keep the process alive`);
      if (this.server.errors.length > 0)
        this.problem(`fake server noticed: ${this.server.errors.map(describeError).join('; ')}`);
      this.problems.push(...this.traps.caught);
    } finally {
      this.traps.remove();
    }
    if (this.problems.length > 0) throw new Error(this.problems.join('\n'));
  }

  /** Removes the traps without the final checks (for a run abandoned by an exception). */
  dispose(): void {
    this.traps.remove();
  }
}

/**
 * Runs `body` on a fresh {@link Run} and ends with {@link Run.finish}; an exception from
 * `body` is reported together with the violations collected so far.
 */
export async function withRun(options: RunOptions, body: (run: Run) => Promise<void>): Promise<void> {
  const run = await Run.open(options);
  try {
    await body(run);
  } catch (e) {
    run.dispose();
    const collected = run.problems.length > 0 ? `\n${run.problems.join('\n')}` : '';
    throw new Error(`${describeError(e)}${collected}`, { cause: e });
  }
  await run.finish();
}

/** Settling of one delivery tag as written by the client. */
export interface SettleFrame {
  channel: number;
  name: 'basic.ack' | 'basic.nack' | 'basic.reject';
  tag: number;
  multiple: boolean;
  requeue: boolean;
  /** The method it was read from. */
  method: ReceivedMethod;
}

/** The settle frames among `methods`, in order. */
export function settleFrames(methods: ReceivedMethod[]): SettleFrame[] {
  const out: SettleFrame[] = [];
  for (const m of methods) {
    if (m.name !== 'basic.ack' && m.name !== 'basic.nack' && m.name !== 'basic.reject') continue;
    const a = m.args as Record<string, unknown>;
    out.push({
      channel: m.channel,
      name: m.name,
      tag: a.deliveryTag as number,
      multiple: (a.multiple as boolean | undefined) ?? false,
      requeue: (a.requeue as boolean | undefined) ?? false,
      method: m,
    });
  }
  return out;
}

/**
 * What the broker makes of the client's settle frames on one channel: for each delivery tag,
 * how it was settled. A `multiple` settle covers every delivered tag up to it that is still
 * unsettled. Settling a tag twice, or one never delivered, is a violation (RabbitMQ closes
 * the channel with 406 PRECONDITION_FAILED "unknown delivery tag").
 */
export function brokerSettles(
  delivered: number[],
  frames: SettleFrame[],
  problem: (text: string) => void,
): Map<number, SettleFrame> {
  const outstanding = new Set(delivered);
  const settled = new Map<number, SettleFrame>();
  for (const f of frames) {
    const covered = f.multiple ? [...outstanding].filter((t) => t <= f.tag) : [f.tag];
    for (const t of covered) {
      if (settled.has(t))
        problem(`delivery ${t} on channel ${f.channel} settled twice (${settled.get(t)!.name}, then ${f.name})`);
      else if (!outstanding.has(t))
        problem(`${f.name} of tag ${t} on channel ${f.channel}, which was never delivered there`);
      else {
        outstanding.delete(t);
        settled.set(t, f);
      }
    }
  }
  return settled;
}

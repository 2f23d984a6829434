import {
  asapScheduler,
  asyncScheduler,
  isObservable,
  Observable,
  Subscription,
  type OperatorFunction,
  type SchedulerLike,
  type Subscriber,
} from 'rxjs';
import type { Channel } from '../facades';
import { NotOpenError } from '../channel/errors';
import { Message } from '../message';
import { DeadlineTimer } from './deadline-timer';
import { publishPort, type PublishPort } from './publish-port';
import type { PublishToResult } from './publish-result';
import type { PublishToOptions } from './publish-to-options';
import { PublishEntry, type EntryOwner } from './publish-entry';
import { PublishWindow, type WindowSettings, type WindowSink } from './publish-window';

export type { PublishToOptions } from './publish-to-options';
export type { PublishStatus, PublishToResult, PublishToResultBase } from './publish-result';

/**
 * Publishes every input to `exchange` and emits one {@link PublishToResult} per input, in
 * input order unless `ordered: false`. At most `window` messages are in flight; publishing
 * pauses while the socket's buffer is full, the server blocks the connection, or the channel's
 * flow is off. Nacks and returns are reported as results, not errors. Completes when the
 * input has completed and every message is settled. `channel` may be an Observable of
 * channels: after a reconnect the next channel is used and unconfirmed messages are
 * republished (or reported failed, per `onChannelLoss`).
 *
 * A `toMessage` or `routingKey` function that throws fails that input only: it gets one
 * result, `status: 'failed'` with the error, in its input position when ordered, and the
 * stream goes on. The operator errors when its source errors, when a plain Channel is lost,
 * or when `confirm: true` cannot put the channel in confirm mode. Once it errored or its
 * subscriber unsubscribed it publishes nothing more: inputs still waiting are dropped, and
 * the confirms of messages already written are ignored when they arrive.
 *
 * With `timeout`, an input not settled within that many ms of its arrival gets `'failed'`
 * with a `PublishTimeoutError`. With `maxBuffered`, an input arriving while that many wait to
 * be published overflows, per `overflow`: the operator errors, or that input fails.
 */
export function publishTo<T = Message>(
  channel: Channel | Observable<Channel>,
  exchange: string,
  routingKey: string | ((value: T) => string),
  options: PublishToOptions<T> = {},
): OperatorFunction<T, PublishToResult<T>> {
  const timeout = options.timeout;
  if (timeout !== undefined && !(timeout > 0))
    throw new RangeError(`publishTo: timeout must be a positive number of milliseconds, not ${timeout}`);
  const maxBuffered = options.maxBuffered ?? Infinity;
  if (!(maxBuffered >= 0))
    throw new RangeError(`publishTo: maxBuffered must be a number of inputs, not ${maxBuffered}`);
  const settings: PublishSettings<T> = {
    window: Math.max(1, options.window ?? 1000),
    ordered: options.ordered ?? true,
    republish: (options.onChannelLoss ?? 'republish') === 'republish',
    maxBuffered,
    failOnOverflow: options.overflow === 'fail',
    timeout: timeout ?? 0,
    exchange,
    keyOf: typeof routingKey === 'function' ? routingKey : () => routingKey,
    toMessage: options.toMessage ?? defaultToMessage,
    mandatory: options.mandatory ?? false,
    confirm: options.confirm ?? false,
    scheduler: options.scheduler ?? asyncScheduler,
  };
  return (source) =>
    new Observable<PublishToResult<T>>((subscriber) => {
      const run = new PublishRun(subscriber, settings);
      subscriber.add(run); // first: a subscriber that leaves during the subscriptions below stops it at once
      run.start(source, channel);
    });
}

/** Everything a {@link PublishRun} works with, resolved once per `publishTo` call. */
interface PublishSettings<T> extends WindowSettings {
  readonly exchange: string;
  readonly keyOf: (value: T) => string;
  readonly toMessage: (value: T) => Message;
  readonly mandatory: boolean;
  readonly confirm: boolean;
  /** Runs the `timeout` timer. */
  readonly scheduler: SchedulerLike;
}

/**
 * One subscription to publishTo: feeds the {@link PublishWindow} the source's inputs, the
 * channel's state and the broker's answers, writes what the window hands out through the
 * channel's {@link PublishPort}, and passes the window's results on to the subscriber. Every
 * subscription and timer it starts ends with its `unsubscribe` (the subscriber's teardown).
 */
class PublishRun<T> implements WindowSink<T>, EntryOwner<T> {
  private readonly window: PublishWindow<T>;
  private readonly subscriptions = new Subscription();
  /** What watches the current channel (its state changes, its confirm.select). */
  private channelWatch = new Subscription();
  private channel: Channel | null = null;
  private port: PublishPort | null = null;
  /** The channel is ready for publishTo (in confirm mode, if asked). */
  private ready = false;
  private confirming = false;
  /** The scheduled task settling what was written outside confirm mode as 'sent'. */
  private sentTask: Subscription | null = null;
  /** The port that task flushes. */
  private sentPort: PublishPort | null = null;
  /** Deadlines come due in input order: one timer, armed for the oldest unsettled input. */
  private readonly deadlines: DeadlineTimer | null;
  private readonly wake = () => this.pump();
  private readonly fail = (error: unknown) => {
    this.window.stop();
    this.subscriber.error(error);
  };

  constructor(
    private readonly subscriber: Subscriber<PublishToResult<T>>,
    private readonly settings: PublishSettings<T>,
  ) {
    this.window = new PublishWindow(settings, this);
    this.deadlines = settings.timeout > 0 ? new DeadlineTimer(settings.scheduler, () => this.expire()) : null;
  }

  start(source: Observable<T>, channel: Channel | Observable<Channel>): void {
    if (isObservable(channel)) {
      this.subscriptions.add(channel.subscribe({ next: (ch) => this.use(ch, true), error: this.fail }));
    } else {
      this.use(channel, false);
    }
    this.subscriptions.add(
      source.subscribe({
        next: (value) => this.input(value),
        error: this.fail,
        complete: () => this.window.sourceComplete(),
      }),
    );
  }

  /** The teardown: nothing more is published, emitted or scheduled. */
  unsubscribe(): void {
    this.window.stop();
    this.channel = null; // a later loss of the channel is no concern of this subscription
    this.port = null;
    this.sentTask?.unsubscribe();
    this.sentTask = null;
    this.deadlines?.cancel();
    this.subscriptions.unsubscribe();
    this.channelWatch.unsubscribe();
  }

  // ---- WindowSink ----

  result(result: PublishToResult<T>): void {
    this.subscriber.next(result);
  }

  complete(): void {
    this.subscriber.complete();
  }

  error(error: Error): void {
    this.fail(error);
  }

  // ---- EntryOwner: the broker's answers ----

  confirmed(entry: PublishEntry<T>): void {
    this.window.confirmed(entry);
    this.pump();
  }

  rejected(entry: PublishEntry<T>, error: Error): void {
    const channel = this.channel;
    if (channel !== null && entry.channel === channel && !channel.isOpen) return; // channel loss: decided by channelEnded
    this.window.rejected(entry, error);
    this.pump();
  }

  // ---- the source ----

  private input(value: T): void {
    const window = this.window;
    if (window.stopped) return; // a synchronous source still emitting after an error
    const { settings, deadlines } = this;
    let message: Message | undefined;
    let key: string;
    try {
      message = settings.toMessage(value);
      key = settings.keyOf(value);
    } catch (e) {
      // A throwing toMessage or routing-key function fails this input only: it gets its one
      // result, 'failed', in its place; the stream goes on.
      const entry = new PublishEntry(this, value, message, settings.exchange, '', settings.mandatory);
      window.failInput(entry, e instanceof Error ? e : new Error(String(e), { cause: e }));
      return;
    }
    const entry = new PublishEntry(this, value, message, settings.exchange, key, settings.mandatory);
    if (deadlines !== null) entry.deadline = deadlines.now() + settings.timeout;
    if (!window.add(entry)) return;
    deadlines?.arm(entry.deadline);
    this.pump();
  }

  // ---- the channel ----

  private use(ch: Channel, reconnects: boolean): void {
    if (this.window.stopped) return;
    this.channelWatch.unsubscribe();
    this.channelWatch = new Subscription();
    this.channel = ch;
    this.port = publishPort(ch);
    this.ready = false;
    void ch.closed.then((error) => this.channelEnded(ch, error, reconnects));
    if (this.settings.confirm && !ch.confirmMode) {
      this.channelWatch.add(ch.confirmSelect().subscribe({ complete: () => this.channelReady(ch), error: this.fail }));
    } else {
      this.channelReady(ch);
    }
  }

  private channelReady(ch: Channel): void {
    if (this.channel !== ch) return;
    this.confirming = ch.confirmMode;
    this.ready = true;
    this.channelWatch.add(this.port!.changes$.subscribe(this.wake));
    this.pump();
  }

  private channelEnded(ch: Channel, error: Error | undefined, reconnects: boolean): void {
    if (this.channel !== ch) return;
    this.channel = null;
    this.port = null;
    this.ready = false;
    this.channelWatch.unsubscribe();
    this.window.lost(error ?? new NotOpenError(`channel ${ch.id} closed`));
    if (!reconnects) this.fail(error ?? new NotOpenError(`channel ${ch.id} closed while publishing`));
  }

  // ---- publishing ----

  /** Publishes what the window hands out while the channel takes it. */
  private pump(): void {
    const { port, channel, window, settings } = this;
    if (port === null || !this.ready || !port.canPublish) return;
    let wroteUnconfirmed = false;
    for (let entry = window.next(); entry !== null; entry = window.next()) {
      let sequence: number;
      try {
        // entries without a message already have their result: next() never hands them out
        sequence = port.publish(entry.message!, settings.exchange, entry.routingKey, settings.mandatory);
      } catch (e) {
        if (!channel!.isOpen) return; // the channel is going; its loss is handled by channelEnded
        window.publishFailed(entry, e as Error);
        continue;
      }
      window.published(entry, sequence);
      if (this.confirming) {
        entry.channel = channel;
        entry.returned = undefined;
        port.watch(sequence, entry);
      } else {
        wroteUnconfirmed = true;
      }
      if (!port.writable) break;
    }
    if (wroteUnconfirmed && this.sentTask === null && !window.stopped) {
      // Settled as 'sent' once the output buffer has been handed to the socket (flushed
      // explicitly, in case its own end-of-tick flush has not run yet).
      this.sentPort = port;
      this.sentTask = asapScheduler.schedule(this.settleSent);
    }
  }

  private readonly settleSent = () => {
    this.sentTask = null;
    this.sentPort!.flush();
    this.window.settleSent();
    this.pump();
  };

  private expire(): void {
    const next = this.window.expire(this.deadlines!.now());
    if (next > 0 && !this.window.stopped) this.deadlines!.arm(next);
    this.pump();
  }
}

function defaultToMessage<T>(value: T): Message {
  if (value instanceof Message) return value;
  if (typeof value === 'string' || value instanceof Uint8Array) return new Message(value);
  return Message.json(value);
}

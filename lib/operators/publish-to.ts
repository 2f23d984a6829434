import {
  asapScheduler,
  asyncScheduler,
  isObservable,
  Observable,
  Subscription,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import type { PublishResult } from '../channel/publish-call';
import type { Channel } from '../facades';
import type { ChannelCore } from '../channel/channel-core';
import { Message } from '../message';
import { MessageReturnedError, NotOpenError, PublishNackedError } from '../channel/errors';
import type { ConfirmWaiter } from '../channel/confirm-tracker';
import { DeadlineTimer } from './deadline-timer';
import { PublishOverflowError, PublishTimeoutError } from './errors';

/** Options of {@link publishTo}. */
export interface PublishToOptions<T> {
  /**
   * Turns an input into a Message. Default: Messages as they are, strings and bytes as bodies,
   * anything else as JSON. When it throws, that input fails (one `'failed'` result).
   */
  toMessage?: (value: T) => Message;
  /** Return unroutable messages (reported as status `'returned'` in confirm mode). */
  mandatory?: boolean;
  /**
   * Wait for broker confirms. `true` puts the channel in confirm mode if it is not;
   * default: whatever mode the channel is in.
   */
  confirm?: boolean;
  /** Most messages published but not yet settled (default 1000). */
  window?: number;
  /** Emit results in input order (default true); false emits each as it settles. */
  ordered?: boolean;
  /**
   * When the channel is lost with messages unconfirmed and a new channel arrives (the
   * channel argument is an Observable that emits again after a reconnect): `'republish'`
   * them on the new channel (at-least-once; the default) or report them `'failed'`.
   */
  onChannelLoss?: 'republish' | 'fail';
  /**
   * Most milliseconds from an input's arrival to its settlement (confirm, nack, return; or,
   * outside confirm mode, its write). An input not settled by then gets its one result:
   * `'failed'` with a `PublishTimeoutError`, whether it was still waiting to be published
   * (then it never is) or waiting for its confirm (a late confirm is dropped). It then counts
   * as settled for the `window`. Default: no limit.
   */
  timeout?: number;
  /**
   * Most inputs waiting to be published (received, not yet written: the window is full, the
   * socket's buffer is, or the broker blocks the connection or the channel's flow). Default:
   * no bound. Inputs republished after a channel loss are not counted (the window bounds them).
   */
  maxBuffered?: number;
  /**
   * What an input arriving while `maxBuffered` inputs wait does: `'error'` (the default) errors
   * the operator with a `PublishOverflowError` — the producer outruns the broker and must be
   * slowed down upstream; `'fail'` gives that input one `'failed'` result with a
   * `PublishOverflowError` at once and the stream goes on (load shedding, e.g. telemetry).
   * There is no `'wait'`: an RxJS source pushes and cannot be paused from downstream, so
   * waiting would only mean buffering without bound, which is what no `maxBuffered` does. To
   * make a source wait, pull it: e.g. `concatMap` over `channel.publish`, or an upstream that
   * emits on demand.
   */
  overflow?: 'error' | 'fail';
  /** Scheduler of `timeout` (default `asyncScheduler`); a `TestScheduler` makes it virtual. */
  scheduler?: SchedulerLike;
}

/** How one input ended. */
export type PublishStatus = 'confirmed' | 'sent' | 'nacked' | 'returned' | 'failed';

/** What every {@link PublishToResult} carries. */
export interface PublishToResultBase<T> extends PublishResult {
  /** The input value. */
  value: T;
  /** Why it is not ok: the nack, the return, the publish or callback failure. */
  error?: Error;
  /** How many times it was published (more than 1 after republishing on a new channel). */
  attempts: number;
}

/**
 * One result of {@link publishTo}, for exactly one input. `ok` (or `status`) tells the cases
 * apart. An input whose `toMessage` or routing-key function threw is `'failed'` with that
 * error and `routingKey: ''`; it has no `message` when `toMessage` threw.
 */
export type PublishToResult<T> =
  | (PublishToResultBase<T> & { status: 'confirmed' | 'sent'; ok: true; message: Message })
  | (PublishToResultBase<T> & { status: 'nacked' | 'returned'; ok: false; message: Message })
  | (PublishToResultBase<T> & { status: 'failed'; ok: false; message: Message | undefined });

/** What an entry reports its confirm to (one per publishTo subscription). */
interface EntryOwner<T> {
  confirmed(entry: Entry<T>): void;
  rejected(entry: Entry<T>, error: Error): void;
}

/** One input on its way; it is also the confirm waiter of its publish (no closures per message). */
class Entry<T> implements ConfirmWaiter {
  sequence = 0;
  attempts = 0;
  published = false;
  result: PublishToResult<T> | null = null;
  returned?: Error;
  /** The channel it was last published on. */
  channel: ChannelCore | null = null;
  /**
   * When it times out, in ms on its publishTo's {@link DeadlineTimer} clock (0: no `timeout`).
   * A small integer, so V8 stores it unboxed: no heap number per entry.
   */
  deadline = 0;

  constructor(
    readonly owner: EntryOwner<T>,
    readonly value: T,
    /** Undefined only for an input whose `toMessage` threw (it is never published). */
    readonly message: Message | undefined,
    readonly exchange: string,
    readonly routingKey: string,
    readonly mandatory: boolean,
  ) {}

  resolve(): void {
    this.owner.confirmed(this);
  }

  reject(error: Error): void {
    this.owner.rejected(this, error);
  }
}

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
  const toMsg = options.toMessage ?? defaultToMessage;
  const window = Math.max(1, options.window ?? 1000);
  const ordered = options.ordered ?? true;
  const republish = (options.onChannelLoss ?? 'republish') === 'republish';
  const keyOf = typeof routingKey === 'function' ? routingKey : () => routingKey;
  const mandatory = options.mandatory ?? false;
  const timeout = options.timeout;
  if (timeout !== undefined && !(timeout > 0))
    throw new RangeError(`publishTo: timeout must be a positive number of milliseconds, not ${timeout}`);
  const maxBuffered = options.maxBuffered ?? Infinity;
  if (!(maxBuffered >= 0))
    throw new RangeError(`publishTo: maxBuffered must be a number of inputs, not ${maxBuffered}`);
  const failOnOverflow = options.overflow === 'fail';

  return (source) =>
    new Observable<PublishToResult<T>>((subscriber) => {
      const entries: Entry<T>[] = []; // unsettled (or settled but not yet emitted, when ordered), input order
      let head = 0; // entries[0..head) are emitted and dead
      let nextToPublish = 0;
      let inFlight = 0;
      /** Inputs accepted and never published yet (what `maxBuffered` bounds). */
      let waiting = 0;
      let sourceDone = false;
      let core: ChannelCore | null = null;
      let confirming = false;
      let ready = false;
      /** The scheduled task settling what was written outside confirm mode as 'sent'. */
      let sentTask: Subscription | null = null;
      const watchers = new Subscription();
      let channelWatch = new Subscription();

      // Once the subscriber has left or the operator has errored (`subscriber.closed`), nothing
      // more is published: pump() and the confirm callbacks check it, the teardown cancels the
      // scheduled settle task and forgets the channel.
      const fail = (e: unknown) => {
        subscriber.error(e);
      };

      const settle = (entry: Entry<T>, status: PublishStatus, error?: Error) => {
        if (entry.result) return;
        inFlight--;
        entry.result = {
          value: entry.value,
          message: entry.message,
          exchange,
          routingKey: entry.routingKey,
          sequence: entry.sequence,
          confirmed: status === 'confirmed',
          status,
          ok: status === 'confirmed' || status === 'sent',
          error,
          attempts: entry.attempts,
        } as PublishToResult<T>;
        if (!ordered) subscriber.next(entry.result);
      };

      const emitSettled = () => {
        if (ordered) {
          while (head < entries.length && entries[head].result) {
            const r = entries[head].result!;
            entries[head] = undefined as unknown as Entry<T>;
            head++;
            subscriber.next(r);
          }
        } else {
          while (head < entries.length && entries[head].result) {
            entries[head] = undefined as unknown as Entry<T>;
            head++;
          }
        }
        // an input that failed before publishing (its routing key or message) can be passed
        // over by the emitted head before pump() reached it
        if (nextToPublish < head) nextToPublish = head;
        if (head > 1024 && head * 2 > entries.length) {
          entries.splice(0, head);
          nextToPublish -= head;
          head = 0;
        }
        if (sourceDone && head === entries.length) subscriber.complete();
      };

      const canPublish = () =>
        ready &&
        core !== null &&
        core.state === 'open' &&
        inFlight < window &&
        core.host.writable$.value &&
        !core.host.blocked$.value &&
        core.flow$.value;

      const pump = () => {
        if (subscriber.closed || !canPublish()) return;
        const c = core!;
        let wroteUnconfirmed = false;
        while (nextToPublish < entries.length && inFlight < window) {
          const entry = entries[nextToPublish];
          if (entry.result) {
            nextToPublish++;
            continue;
          }
          let seq: number;
          try {
            // entries without a message already have their result: skipped above
            seq = c.publish(entry.message!, exchange, entry.routingKey, mandatory, false);
          } catch (e) {
            if (c.state !== 'open') return; // the channel is going; its loss is handled by the watch
            nextToPublish++;
            inFlight++;
            if (entry.attempts === 0) waiting--;
            settle(entry, 'failed', e as Error);
            continue;
          }
          nextToPublish++;
          inFlight++;
          if (entry.attempts === 0) waiting--;
          entry.attempts++;
          entry.published = true;
          entry.sequence = seq;
          if (confirming) {
            entry.channel = c;
            entry.returned = undefined;
            c.confirms.watch(seq, entry);
          } else {
            wroteUnconfirmed = true;
          }
          if (!c.host.writable$.value) break;
        }
        if (wroteUnconfirmed && sentTask === null) {
          // Settled as 'sent' once the output buffer has been handed to the socket (flushed
          // here explicitly, in case its own end-of-tick flush has not run yet).
          sentTask = asapScheduler.schedule(() => {
            sentTask = null;
            c.host.out.flush();
            for (let i = head; i < nextToPublish; i++) {
              const e = entries[i];
              if (e?.published && !e.result) settle(e, 'sent');
            }
            afterSettle();
          });
        }
      };

      const afterSettle = () => {
        emitSettled();
        pump();
      };

      // Deadlines come due in input order: one timer, armed for the oldest unsettled input.
      const deadlines =
        timeout === undefined
          ? null
          : new DeadlineTimer(options.scheduler ?? asyncScheduler, () => {
              if (subscriber.closed) return;
              const now = deadlines!.now();
              let timedOut = false;
              for (let i = head; i < entries.length; i++) {
                const e = entries[i];
                if (!e || e.result) continue;
                if (e.deadline > now) {
                  deadlines!.arm(e.deadline);
                  break;
                }
                // Waiting to be published (never, or again after a channel loss): not in
                // flight, but settle() counts it out of the window.
                if (!e.published) {
                  inFlight++;
                  if (e.attempts === 0) waiting--;
                }
                settle(e, 'failed', new PublishTimeoutError(timeout!));
                timedOut = true;
              }
              if (timedOut) afterSettle();
            });

      const owner: EntryOwner<T> = {
        confirmed(entry) {
          if (subscriber.closed) return; // a late confirm after teardown: dropped quietly
          settle(entry, 'confirmed');
          afterSettle();
        },
        rejected(entry, e) {
          if (subscriber.closed) return;
          const c = entry.channel;
          if (c !== null && c.state !== 'open' && c === core) return; // channel loss: decided by onLoss
          settle(
            entry,
            e instanceof MessageReturnedError ? 'returned' : e instanceof PublishNackedError ? 'nacked' : 'failed',
            e,
          );
          afterSettle();
        },
      };

      const onLoss = (error: Error) => {
        core = null;
        ready = false;
        channelWatch.unsubscribe();
        // Everything published and not settled goes back in line, or fails.
        let first = -1;
        for (let i = head; i < nextToPublish; i++) {
          const e = entries[i];
          if (!e || e.result || !e.published) continue;
          if (republish) {
            e.published = false;
            inFlight--;
            if (first < 0) first = i;
          } else {
            settle(e, 'failed', error);
          }
        }
        if (first >= 0) nextToPublish = first;
        else if (!republish) emitSettled();
      };

      const useChannel = (ch: Channel) => {
        channelWatch.unsubscribe();
        channelWatch = new Subscription();
        core = ch.core;
        const c = core;
        ready = false;
        const start = () => {
          if (core !== c) return;
          confirming = c.confirmMode;
          ready = true;
          channelWatch.add(c.host.writable$.subscribe(() => pump()));
          channelWatch.add(c.host.blocked$.subscribe(() => pump()));
          channelWatch.add(c.flow$.subscribe(() => pump()));
          pump();
        };
        void c.closed.then((error) => {
          if (core !== c) return;
          onLoss(error ?? new NotOpenError(`channel ${c.id} closed`));
          if (!isObservable(channel)) fail(error ?? new NotOpenError(`channel ${c.id} closed while publishing`));
        });
        if (options.confirm && !c.confirmMode) {
          channelWatch.add(ch.confirmSelect().subscribe({ complete: start, error: fail }));
        } else {
          start();
        }
      };

      if (isObservable(channel)) watchers.add(channel.subscribe({ next: useChannel, error: fail }));
      else useChannel(channel);

      watchers.add(
        source.subscribe({
          next(value) {
            if (subscriber.closed) return; // a synchronous source still emitting after an error
            let message: Message | undefined;
            let key: string;
            try {
              message = toMsg(value);
              key = keyOf(value);
            } catch (e) {
              // A throwing toMessage or routing-key function fails this input only: it gets
              // its one result, 'failed', in its place; the stream goes on.
              const entry = new Entry(owner, value, message, exchange, '', mandatory);
              entries.push(entry);
              inFlight++; // settle() counts it out again; it never was in flight
              settle(entry, 'failed', e instanceof Error ? e : new Error(String(e), { cause: e }));
              emitSettled();
              return;
            }
            if (waiting >= maxBuffered) {
              const overflow = new PublishOverflowError(maxBuffered);
              if (!failOnOverflow) return fail(overflow);
              const entry = new Entry(owner, value, message, exchange, key, mandatory);
              entries.push(entry);
              inFlight++; // settle() counts it out again; it never was in flight
              settle(entry, 'failed', overflow);
              emitSettled();
              return;
            }
            const entry = new Entry(owner, value, message, exchange, key, mandatory);
            if (deadlines !== null) {
              entry.deadline = deadlines.now() + timeout!;
              deadlines.arm(entry.deadline);
            }
            waiting++;
            entries.push(entry);
            pump();
          },
          error: fail,
          complete() {
            sourceDone = true;
            emitSettled();
          },
        }),
      );

      return () => {
        core = null; // a later loss of the channel is no concern of this subscription
        sentTask?.unsubscribe();
        sentTask = null;
        deadlines?.cancel();
        watchers.unsubscribe();
        channelWatch.unsubscribe();
      };
    });
}

function defaultToMessage<T>(value: T): Message {
  if (value instanceof Message) return value;
  if (typeof value === 'string' || value instanceof Uint8Array) return new Message(value);
  return Message.json(value);
}

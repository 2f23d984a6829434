/**
 * The client sessions the fuzzer replays mutated server streams into. Each is ordinary
 * application code (open a channel, declare, publish with confirms, consume with ackEach /
 * ackAfter, basic.get, close); the recorder (record.ts) runs the very same code against the
 * real broker, so an unmutated recording replays to a normal close.
 */
import { concat, defer, from, ignoreElements, lastValueFrom, of, switchMap, take, tap, type Observable } from 'rxjs';
import { ackAfter } from '../../lib/operators/ack-after';
import { ackEach } from '../../lib/operators/ack-each';
import { consume } from '../../lib/operators/consume';
import { openChannel } from '../../lib/operators/open-channel';
import { publishTo } from '../../lib/operators/publish-to';
import type { Channel, Connection } from '../../lib/facades';
import type { ConnectOptions } from '../../lib/connection/options';
import { Message } from '../../lib/message';

/** A scripted session: what it needs from `connect()` and what it does once connected. */
export interface Scenario {
  name: string;
  /** Options the session connects with (besides the URL or transport). */
  options: ConnectOptions;
  /** Queue names and other parameters the recorder chooses and the replay reuses. */
  params(suffix: string): Record<string, string>;
  /**
   * Runs on the open connection; settles when the application would call `close()`. Errors it
   * meets that do not end it (a publish result's error) go to `seen`.
   */
  run(connection: Connection, params: Record<string, string>, seen?: (error: unknown) => void): Promise<void>;
}

/** Subscribes, ignores values, resolves on completion (no EmptyError for an empty stream). */
function done(source: Observable<unknown>): Promise<void> {
  return lastValueFrom(source.pipe(ignoreElements()), { defaultValue: undefined });
}

/**
 * Runs `work` on each channel `channels` emits and ends (unsubscribing, which closes the
 * channel) once the work on the first one completes.
 */
function onChannel(channels: Observable<Channel>, work: (channel: Channel) => Observable<unknown>): Promise<void> {
  return done(
    channels.pipe(
      switchMap((channel) => concat(work(channel).pipe(ignoreElements()), of(true))),
      take(1),
    ),
  );
}

/** Declares exclusive, auto-deleted queues (they vanish with the recording connection). */
function declare(channel: Channel, queues: string[]): Observable<never> {
  return concat(...queues.map((q) => channel.queueDeclare(q, { exclusive: true, autoDelete: true }))).pipe(
    ignoreElements(),
  );
}

/** connect, then close: the handshake and the close handshake alone. */
const handshake: Scenario = {
  name: 'handshake',
  options: {},
  params: () => ({}),
  run: async () => undefined,
};

/**
 * The realistic 0-9-1 session: one channel with prefetch and confirms, three queues, six
 * messages published with `publishTo` (confirmed), three consumed with `ackEach`, two with
 * `ackAfter` (a JSON handler), one fetched with basic.get, then an empty basic.get.
 */
const consumeConfirm: Scenario = {
  name: 'consume-confirm',
  options: {},
  params: (suffix) => ({ q1: `rx-fuzz-each-${suffix}`, q2: `rx-fuzz-after-${suffix}`, q3: `rx-fuzz-get-${suffix}` }),
  run: (connection, p, seen) => {
    const orders = [
      { id: 1, to: p.q1 },
      { id: 2, to: p.q1 },
      { id: 3, to: p.q1 },
      { id: 4, to: p.q2 },
      { id: 5, to: p.q2 },
      { id: 6, to: p.q3 },
    ];
    const handled: unknown[] = [];
    return onChannel(of(connection).pipe(openChannel({ prefetch: 10, confirm: true })), (channel) =>
      concat(
        declare(channel, [p.q1, p.q2, p.q3]),
        from(orders).pipe(
          publishTo(channel, '', (o) => o.to, {
            confirm: true,
            toMessage: (o) => Message.json(o, { messageId: `order-${o.id}` }),
          }),
          tap((result) => result.error && seen?.(result.error)),
        ),
        of(channel).pipe(consume(p.q1), ackEach(), take(3)),
        of(channel).pipe(
          consume(p.q2),
          ackAfter(async (d) => handled.push(d.json())),
          take(2),
        ),
        channel.basicGet(p.q3).pipe(tap((d) => d?.ack())),
        channel.basicGet(p.q3),
      ),
    );
  },
};

/** The same kind of session in AMQP 0-8 (no confirms): publish, basic.get, consume with ackEach. */
const legacy08: Scenario = {
  name: 'legacy-0-8',
  options: { protocol: '0-8' },
  params: (suffix) => ({ q: `rx-fuzz-08-${suffix}` }),
  run: (connection, p) =>
    onChannel(connection.channel(), (channel) =>
      concat(
        channel.basicQos(5),
        declare(channel, [p.q]),
        defer(() => {
          for (let i = 1; i <= 3; i++) channel.basicPublish(Message.json({ i }), '', p.q);
          return of(undefined);
        }),
        channel.basicGet(p.q).pipe(tap((d) => d?.ack())),
        of(channel).pipe(consume(p.q), ackEach(), take(2)),
      ),
    ),
};

/** Every scenario by name. */
export const SCENARIOS: Record<string, Scenario> = {
  [handshake.name]: handshake,
  [consumeConfirm.name]: consumeConfirm,
  [legacy08.name]: legacy08,
};

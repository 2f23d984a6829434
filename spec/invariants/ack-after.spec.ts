/**
 * Invariants of `openChannel` + `consume` + `ackAfter` / `ackEach`, model-based, over the
 * fake server (see ./harness.ts).
 *
 * One or two pipelines `of(connection).pipe(openChannel(), consume('q'), ackAfter(project))`
 * (or `ackEach()`), on channels 1 and 2, whose delivery tags overlap, so an ack on the wrong
 * channel would show. A scenario is a list of steps, each one of: the server delivering a
 * message to a live consumer, whose `project` will succeed at once, throw synchronously,
 * return a resolved or rejected Promise, hang, or wait (an Observable the scenario later
 * completes or errors: `resolve` / `fail` steps); the subscriber unsubscribing (or `take(n)`
 * leaving from inside an emission); the application calling `channel.close()`; the server
 * cancelling the consumer or closing the channel; the connection being lost;
 * `connection.blocked`. `onError` is fixed per scenario: an action, the default, a function
 * choosing one, or a function that throws. (Steps are generated as a plain array, not with
 * `fc.commands`, so that a shrunk counterexample is a literal for the regression list.)
 *
 * The model records, per delivery, whether its project was called and how and when it
 * finished, and whether the pipeline and its channel were live then. Invariants, checked on
 * the frames the server received:
 * - every delivery is settled at most once, only on its own channel, never after the client
 *   began closing that channel (or answered the server's channel.close);
 * - under `ackAfter`, a delivery is acked iff its project completed (or failed with the
 *   action 'ack'), nacked/rejected iff it failed, per `onError` (a throwing `onError`: nacked
 *   or rejected); never settled while its project runs; every delivery whose project finished
 *   while the pipeline and channel lived is settled;
 * - under `ackEach`, every delivery that passed is acked;
 * - the stream goes on: while the pipeline lives, every delivery it received has had its
 *   project called unless `concurrency` projects are still running;
 * - the pipeline errors only when its consumer was cancelled, its channel closed by the server
 *   or the connection lost;
 * - after the subscriber left or the pipeline ended, the channel carries nothing but the
 *   documented teardown: acks of projects finished before, `basic.cancel`, `channel.close`;
 * - the harness's final checks (close within closeTimeout, no timers left, nothing unhandled).
 */
import fc from 'fast-check';
import { NEVER, of, Subject, take, tap, type Observable, type Subscription } from 'rxjs';
import { ackAfter, ackEach, consume, openChannel, type Channel, type Delivery, type FailureAction } from 'rx-amqp';
import { brokerSettles, describeError as text, settleFrames, withRun, type Run, type SettleFrame } from './harness';
import { describeInvariant } from './describe-invariant';

type Behaviour = 'syncOk' | 'syncThrow' | 'promiseResolve' | 'promiseReject' | 'hang' | 'async';
type OnError = 'requeue' | 'reject' | 'ack' | 'default' | 'fn' | 'fnThrows';

type Step =
  | { t: 'deliver'; ch: number; behaviour: Behaviour; redelivered: boolean }
  | { t: 'resolve'; pick: number }
  | { t: 'fail'; pick: number }
  | { t: 'unsubscribe'; ch: number }
  | { t: 'closeChannel'; ch: number }
  | { t: 'closeOk' }
  | { t: 'serverCancel'; ch: number }
  | { t: 'serverChannelClose'; ch: number }
  | { t: 'connectionLoss' }
  | { t: 'blocked' };

interface Scenario {
  mode: 'ackAfter' | 'ackEach';
  pipelines: number;
  concurrency: number;
  onError: OnError;
  take: number | null;
  /** Whether the server holds its close-ok until a `closeOk` step (the channel stays closing meanwhile). */
  holdClose: boolean;
  steps: Step[];
}

const behaviour = fc.constantFrom<Behaviour>(
  'syncOk',
  'syncThrow',
  'promiseResolve',
  'promiseReject',
  'hang',
  'async',
  'async',
);
const ch = fc.nat(1);

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ t: fc.constant('deliver' as const), ch, behaviour, redelivered: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('resolve' as const), pick: fc.nat(5) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('fail' as const), pick: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('unsubscribe' as const), ch }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('closeChannel' as const), ch }) },
  { weight: 1, arbitrary: fc.constant({ t: 'closeOk' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('serverCancel' as const), ch }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('serverChannelClose' as const), ch }) },
  { weight: 1, arbitrary: fc.constant({ t: 'connectionLoss' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'blocked' as const }) },
);

const scenario: fc.Arbitrary<Scenario> = fc.record({
  mode: fc.constantFrom<Scenario['mode']>('ackAfter', 'ackAfter', 'ackEach'),
  pipelines: fc.integer({ min: 1, max: 2 }),
  concurrency: fc.integer({ min: 1, max: 3 }),
  onError: fc.constantFrom<OnError>('requeue', 'reject', 'ack', 'default', 'fn', 'fnThrows'),
  take: fc.option(fc.integer({ min: 1, max: 3 }), { freq: 4 }),
  holdClose: fc.boolean(),
  steps: fc.array(step, { maxLength: 30, size: 'medium' }),
});

/** One delivery, as the model knows it. */
interface Rec {
  ch: number;
  tag: number;
  behaviour: Behaviour;
  redelivered: boolean;
  called: boolean;
  outcome: 'pending' | 'completed' | 'failed';
  /** Whether its pipeline and channel were live when its project finished (or, ackEach, when it passed). */
  live: boolean;
  /** The event counter when its outcome was decided. */
  decidedAt: number;
  subject?: Subject<string>;
}

/** One pipeline: its channel number, its state, and what the server knows of its consumer. */
interface Pipe {
  ch: number;
  channel?: Channel;
  subscription?: Subscription;
  ended: 'error' | 'complete' | 'unsubscribe' | undefined;
  error?: unknown;
  stopMark?: number;
  stopCounter?: number;
  consumerTag?: string;
  consumerActive: boolean;
  nextTag: number;
  /** The client closed this channel, or the server did (a legitimate end). */
  channelEnded: boolean;
  legitimateError: boolean;
}

function failureAction(onError: OnError, rec: Rec): FailureAction | 'nack-or-reject' {
  switch (onError) {
    case 'requeue':
    case 'reject':
    case 'ack':
      return onError;
    case 'default':
      return rec.redelivered ? 'reject' : 'requeue';
    case 'fn':
      return (['requeue', 'reject', 'ack'] as const)[rec.tag % 3];
    case 'fnThrows':
      return 'nack-or-reject';
  }
}

function settledAs(f: SettleFrame): FailureAction {
  if (f.name === 'basic.ack') return 'ack';
  return f.requeue ? 'requeue' : 'reject';
}

async function runScenario(sc: Scenario): Promise<void> {
  await withRun({}, async (run: Run) => {
    const { server } = run;
    if (sc.holdClose) run.channelCloseReply = 'hold';
    let counter = 0;
    const recs = new Map<string, Rec>();
    const pipes: Pipe[] = [];
    let connectionLost = false;

    server.handle('basic.consume', (m) => {
      const pipe = pipes.find((p) => p.ch === m.channel);
      const tag = `ctag-${m.channel}`;
      if (pipe) {
        pipe.consumerTag = tag;
        pipe.consumerActive = true;
      }
      server.reply(m, 'basic.consume-ok', { consumerTag: tag });
    });
    server.received$.subscribe((m) => {
      const pipe = pipes.find((p) => p.ch === m.channel);
      if (pipe && (m.name === 'basic.cancel' || m.name === 'channel.close' || m.name === 'channel.close-ok'))
        pipe.consumerActive = false;
    });

    const isLive = (pipe: Pipe) =>
      pipe.ended === undefined && !connectionLost && pipe.channel !== undefined && pipe.channel.isOpen;
    const decide = (rec: Rec, outcome: 'completed' | 'failed') => {
      rec.outcome = outcome;
      rec.decidedAt = counter++;
      rec.live = isLive(pipes[rec.ch - 1]);
    };

    const project = (d: Delivery): Observable<string> | Promise<string> => {
      const rec = recs.get(d.text)!;
      rec.called = true;
      switch (rec.behaviour) {
        case 'syncOk':
          decide(rec, 'completed');
          return of('done');
        case 'syncThrow':
          decide(rec, 'failed');
          throw new Error(`bad message ${d.text}`);
        case 'promiseResolve':
          decide(rec, 'completed');
          return Promise.resolve('done');
        case 'promiseReject':
          decide(rec, 'failed');
          return Promise.reject(new Error(`failed on ${d.text}`));
        case 'hang':
          return NEVER;
        case 'async':
          rec.subject = new Subject<string>();
          return rec.subject;
      }
    };
    const onError =
      sc.onError === 'fn'
        ? (_e: unknown, d: Delivery) => failureAction('fn', recs.get(d.text)!) as FailureAction
        : sc.onError === 'fnThrows'
          ? () => {
              throw new Error('onError failed');
            }
          : sc.onError === 'default'
            ? undefined
            : sc.onError;

    for (let i = 0; i < sc.pipelines; i++) {
      const pipe: Pipe = {
        ch: i + 1,
        ended: undefined,
        consumerActive: false,
        nextTag: 0,
        channelEnded: false,
        legitimateError: false,
      };
      pipes.push(pipe);
      const stop = (how: NonNullable<Pipe['ended']>) => {
        if (pipe.ended) return;
        pipe.ended = how;
        pipe.stopMark = run.mark();
        pipe.stopCounter = counter++;
      };
      const deliveries = of(run.connection).pipe(
        openChannel({ prefetch: 10 }),
        tap((channel) => (pipe.channel = channel)),
        consume('q'),
      );
      let processed: Observable<unknown> =
        sc.mode === 'ackAfter'
          ? deliveries.pipe(ackAfter(project, { concurrency: sc.concurrency, onError }))
          : deliveries.pipe(
              tap((d) => {
                const rec = recs.get(d.text)!;
                rec.called = true;
                decide(rec, 'completed');
              }),
              ackEach(),
            );
      if (sc.take !== null) processed = processed.pipe(take(sc.take));
      pipe.subscription = processed.subscribe({
        error: (e) => {
          pipe.error = e;
          stop('error');
        },
        complete: () => stop('complete'),
      });
    }
    await run.settle();

    const closing: Array<[Promise<void>, string]> = [];
    const pendingAsync = () => [...recs.values()].filter((r) => r.subject && r.outcome === 'pending');
    for (const s of sc.steps) {
      const pipe = 'ch' in s ? pipes[s.ch % pipes.length] : undefined;
      switch (s.t) {
        case 'deliver': {
          if (!pipe!.consumerActive || connectionLost) break;
          const tag = ++pipe!.nextTag;
          const rec: Rec = {
            ch: pipe!.ch,
            tag,
            behaviour: s.behaviour,
            redelivered: s.redelivered,
            called: false,
            outcome: 'pending',
            live: false,
            decidedAt: -1,
          };
          recs.set(`${pipe!.ch}:${tag}`, rec);
          server.sendContent(
            pipe!.ch,
            'basic.deliver',
            {
              consumerTag: pipe!.consumerTag!,
              deliveryTag: tag,
              redelivered: s.redelivered,
              exchange: '',
              routingKey: 'q',
            },
            `${pipe!.ch}:${tag}`,
          );
          break;
        }
        case 'resolve':
        case 'fail': {
          const open = pendingAsync();
          if (open.length === 0) break;
          const rec = open[s.pick % open.length];
          decide(rec, s.t === 'resolve' ? 'completed' : 'failed');
          if (s.t === 'resolve') {
            rec.subject!.next('done');
            rec.subject!.complete();
          } else {
            rec.subject!.error(new Error(`async failure of ${rec.ch}:${rec.tag}`));
          }
          break;
        }
        case 'unsubscribe':
          if (!pipe!.ended) {
            pipe!.ended = 'unsubscribe';
            pipe!.stopMark = run.mark();
            pipe!.stopCounter = counter++;
          }
          pipe!.subscription!.unsubscribe();
          break;
        case 'closeChannel':
          if (pipe!.channel && !connectionLost) {
            pipe!.channelEnded = true;
            closing.push([pipe!.channel.close(), `channel.close() of channel ${pipe!.ch}`]);
          }
          break;
        case 'closeOk':
          run.releaseChannelCloses();
          break;
        case 'serverCancel':
          if (pipe!.consumerActive && !connectionLost) {
            pipe!.consumerActive = false;
            pipe!.legitimateError = true;
            server.sendMethod(pipe!.ch, 'basic.cancel', { consumerTag: pipe!.consumerTag!, nowait: false });
          }
          break;
        case 'serverChannelClose':
          if (pipe!.channel?.isOpen && !connectionLost) {
            pipe!.consumerActive = false;
            pipe!.channelEnded = true;
            pipe!.legitimateError = true;
            server.sendMethod(pipe!.ch, 'channel.close', {
              replyCode: 406,
              replyText: 'PRECONDITION_FAILED',
              classId: 60,
              methodId: 80,
            });
          }
          break;
        case 'connectionLoss':
          if (!connectionLost) server.drop(new Error('read ECONNRESET'));
          connectionLost = true;
          for (const p of pipes) p.consumerActive = false;
          break;
        case 'blocked':
          server.sendMethod(0, 'connection.blocked', { reason: 'low on memory' });
          break;
      }
      await run.settle();
    }

    run.channelCloseReply = 'answer';
    run.releaseChannelCloses();
    for (const [promise, what] of closing) await run.settlesWithinCloseTimeout(promise, what);
    // ---- the stream goes on: a live pipeline has called every project it could ----
    if (sc.mode === 'ackAfter') {
      for (const pipe of pipes) {
        if (!isLive(pipe)) continue;
        const mine = [...recs.values()].filter((r) => r.ch === pipe.ch);
        const running = mine.filter((r) => r.called && r.outcome === 'pending').length;
        const waiting = mine.filter((r) => !r.called);
        if (waiting.length > 0 && running < sc.concurrency) {
          run.problem(
            `channel ${pipe.ch}: stalled: deliveries ${waiting.map((r) => r.tag).join(', ')} wait with ${running} of ${sc.concurrency} projects running`,
          );
        }
      }
    }
    // ---- teardown of what still lives ----
    for (const pipe of pipes) {
      if (!pipe.ended) {
        pipe.ended = 'unsubscribe';
        pipe.stopMark = run.mark();
        pipe.stopCounter = counter++;
      }
      pipe.subscription!.unsubscribe();
    }
    await run.settle();

    // ---- invariants on the frames ----
    for (const pipe of pipes) {
      const methods = run.methods(pipe.ch);
      const mine = [...recs.values()].filter((r) => r.ch === pipe.ch);
      const frames = settleFrames(methods);
      const settled = brokerSettles(
        mine.map((r) => r.tag),
        frames,
        (p) => run.problem(p),
      );
      // Nothing settled once the client began closing the channel (or answered the server's close).
      const closeAt = methods.findIndex((m) => m.name === 'channel.close' || m.name === 'channel.close-ok');
      if (closeAt >= 0) {
        const late = settleFrames(methods.slice(closeAt + 1));
        if (late.length > 0)
          run.problem(
            `channel ${pipe.ch}: ${late.map((f) => `${f.name} ${f.tag}`).join(', ')} written after ${methods[closeAt].name}`,
          );
      }
      for (const rec of mine) {
        const s = settled.get(rec.tag);
        const id = `delivery ${rec.ch}:${rec.tag} (${rec.behaviour}${rec.redelivered ? ', redelivered' : ''})`;
        if (rec.outcome === 'pending') {
          if (s) run.problem(`${id} was settled (${s.name}) though its project never finished`);
          continue;
        }
        if (!s) {
          if (rec.live) run.problem(`${id} ${rec.outcome} while its pipeline lived, yet was never settled`);
          continue;
        }
        if (rec.outcome === 'completed') {
          if (s.name !== 'basic.ack') run.problem(`${id} completed but was settled with ${s.name}`);
        } else {
          const expected = failureAction(sc.onError, rec);
          const actual = settledAs(s);
          if (expected === 'nack-or-reject' ? actual === 'ack' : actual !== expected)
            run.problem(`${id} failed (onError ${sc.onError}): settled '${actual}', expected '${expected}'`);
        }
      }
      // After the subscriber left or the pipeline ended: only the documented teardown.
      if (pipe.stopMark !== undefined) {
        for (const m of run.writtenAfter(pipe.stopMark, pipe.ch)) {
          if (m.name === 'basic.cancel' || m.name === 'channel.close' || m.name === 'channel.close-ok') continue;
          if (m.name === 'basic.ack') {
            const frame = frames.find((f) => f.method === m);
            const late = mine.filter((r) => settled.get(r.tag) === frame && r.decidedAt > pipe.stopCounter!);
            if (late.length > 0)
              run.problem(
                `channel ${pipe.ch}: after the pipeline ${pipe.ended}, an ack settles deliveries finished later (${late.map((r) => r.tag).join(', ')})`,
              );
            continue;
          }
          run.problem(`channel ${pipe.ch}: ${m.name} written after the pipeline ${pipe.ended}`);
        }
      }
      if (pipe.ended === 'error' && !pipe.legitimateError && !connectionLost)
        run.problem(`channel ${pipe.ch}: the pipeline errored without cause: ${text(pipe.error)}`);
      if (pipe.ended === 'complete' && sc.take === null && !pipe.channelEnded)
        run.problem(`channel ${pipe.ch}: the pipeline completed without cause`);
    }
  });
}

const base: Omit<Scenario, 'steps'> = {
  mode: 'ackAfter',
  pipelines: 1,
  concurrency: 1,
  onError: 'requeue',
  take: null,
  holdClose: false,
};

/**
 * Counterexamples found so far (shrunk), replayed on every run, with the issue-10 item each
 * one caught on main (8d164b8) and the seed that found it.
 */
const regressions: Array<[string, Scenario]> = [
  // item 1, seed -846826962: a synchronous throw errored the whole pipeline.
  [
    'a project that throws synchronously nacks that delivery and the stream goes on',
    {
      ...base,
      steps: [
        { t: 'deliver', ch: 0, behaviour: 'syncThrow', redelivered: false },
        { t: 'deliver', ch: 0, behaviour: 'syncOk', redelivered: false },
      ],
    },
  ],
  // item 1: an onError that throws stalled the stream (and its error went unhandled).
  [
    'an onError that throws still nacks, and the next delivery is processed',
    {
      ...base,
      onError: 'fnThrows',
      steps: [
        { t: 'deliver', ch: 0, behaviour: 'promiseReject', redelivered: false },
        { t: 'deliver', ch: 0, behaviour: 'syncOk', redelivered: false },
      ],
    },
  ],
  // item 5, seed -1203778833: a project finishing while its channel closes was acked after channel.close.
  [
    'no ack after channel.close when a project finishes while the channel closes',
    {
      ...base,
      holdClose: true,
      steps: [
        { t: 'deliver', ch: 0, behaviour: 'async', redelivered: false },
        { t: 'closeChannel', ch: 0 },
        { t: 'resolve', pick: 0 },
      ],
    },
  ],
];

describeInvariant(
  'consume + ackAfter / ackEach invariants (model-based, fake server)',
  'settle every delivery once, as its project ended, on its own channel, and tear down cleanly',
  scenario,
  runScenario,
  regressions,
);

/**
 * Invariants of `openChannel` and the topology operators (`accessRequest`,
 * `declareExchange`, `declareQueue`, `bindQueue`, `bindExchange`) followed by `consume`,
 * model-based, over the fake server (see ./harness.ts).
 *
 * The pipeline is
 * `of(connection).pipe(openChannel({ prefetch, confirm }), accessRequest(…), declareExchange(…), declareExchange(…), declareQueue(…), bindQueue(…), bindExchange(…), consume(…))`.
 * The scenario fixes how the server meets each synchronous method it sends, in order:
 * answer it at once, refuse it (the server closes the channel, as RabbitMQ does with
 * 404/403/406), or hold the answer until a `release` step; the client's channel.close is
 * answered at a `closeOk` step, so a held answer may cross it. The steps then: release the held
 * answer, answer channel.close, unsubscribe, the server closing the channel, the connection being lost,
 * `connection.blocked`, virtual time passing. (Steps are a plain generated array, not
 * `fc.commands`, so that a shrunk counterexample is a literal for the regression list.)
 *
 * Invariants, on the frames the server received and the pipeline's outcome:
 * - the methods go out in the pipeline's order, one at a time: each only after the answer to
 *   the one before it, and none after a refusal;
 * - after the subscriber left or the pipeline ended, the channel carries only the documented
 *   teardown (`basic.cancel`, `channel.close`, `channel.close-ok`): a late answer to a held
 *   method does not set the next step going;
 * - the pipeline errors only when the server refused a method, closed the channel or the
 *   connection was lost; when every method was answered, the consumer is started;
 * - the harness's final checks (close within closeTimeout, no timers left, nothing unhandled).
 */
import fc from 'fast-check';
import { of, type Subscription } from 'rxjs';
import { accessRequest, bindExchange, bindQueue, consume, declareExchange, declareQueue, openChannel } from 'rx-amqp';
import type { MethodName } from '../../lib/protocol/method-codec';
import type { ReceivedMethod } from 'rx-amqp/testing';
import { describeError as text, withRun } from './harness';
import { describeInvariant } from './describe-invariant';

type Reply = 'ok' | 'refuse' | 'hold';

type Step =
  | { t: 'release' }
  | { t: 'closeOk' }
  | { t: 'unsubscribe' }
  | { t: 'serverChannelClose' }
  | { t: 'connectionLoss' }
  | { t: 'blocked' }
  | { t: 'tick'; ms: number };

interface Scenario {
  /** How the server answers the n-th synchronous method of the pipeline ({@link SEQUENCE}). */
  replies: Reply[];
  steps: Step[];
}

/** The synchronous methods the pipeline sends, in order, and the answers they expect. */
const SEQUENCE: Array<[MethodName, MethodName, Record<string, unknown>]> = [
  ['channel.open', 'channel.open-ok', {}],
  ['basic.qos', 'basic.qos-ok', {}],
  ['confirm.select', 'confirm.select-ok', {}],
  ['access.request', 'access.request-ok', { ticket: 1 }],
  ['exchange.declare', 'exchange.declare-ok', {}],
  ['exchange.declare', 'exchange.declare-ok', {}],
  ['queue.declare', 'queue.declare-ok', { queue: 'amq.gen-q', messageCount: 0, consumerCount: 0 }],
  ['queue.bind', 'queue.bind-ok', {}],
  ['exchange.bind', 'exchange.bind-ok', {}],
  ['basic.consume', 'basic.consume-ok', { consumerTag: 'ctag-1' }],
];

const reply = fc.constantFrom<Reply>('ok', 'ok', 'ok', 'ok', 'refuse', 'hold');
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ t: 'release' as const }) },
  { weight: 2, arbitrary: fc.constant({ t: 'closeOk' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'unsubscribe' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'serverChannelClose' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'connectionLoss' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'blocked' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 1500 }) }) },
);
const scenario: fc.Arbitrary<Scenario> = fc.record({
  replies: fc.array(reply, { minLength: SEQUENCE.length, maxLength: SEQUENCE.length }),
  steps: fc.array(step, { maxLength: 12 }),
});

async function runScenario(sc: Scenario): Promise<void> {
  await withRun({}, async (run) => {
    const { server, connection } = run;
    let position = 0; // index in SEQUENCE of the next method expected
    let held: { m: ReceivedMethod; k: number } | undefined;
    let refused = false;
    let serverClosed = false;
    let connectionLost = false;
    let allAnswered = false;
    const answer = (m: ReceivedMethod, k: number) => {
      if (k === SEQUENCE.length - 1) allAnswered = true;
      server.reply(m, SEQUENCE[k][1], SEQUENCE[k][2]);
    };
    for (const name of new Set(SEQUENCE.map(([n]) => n))) {
      server.handle(name, (m) => {
        const k = position++;
        if (k >= SEQUENCE.length || SEQUENCE[k][0] !== m.name) {
          run.problem(`${m.name} sent where the pipeline's step ${k} (${SEQUENCE[k]?.[0] ?? 'none'}) was due`);
          return;
        }
        if (held) run.problem(`${m.name} sent while ${held.m.name} awaited its answer`);
        if (refused) run.problem(`${m.name} sent after the server refused a method`);
        const how = sc.replies[k];
        if (how === 'ok') answer(m, k);
        else if (how === 'hold') held = { m, k };
        else {
          refused = true;
          server.sendMethod(m.channel, 'channel.close', {
            replyCode: 404,
            replyText: `NOT_FOUND - refused ${m.name}`,
            classId: m.classId,
            methodId: m.methodId,
          });
        }
      });
    }
    // The client's channel.close is answered at a `closeOk` step: until then a held answer may
    // still arrive (it crossed the close on the wire); after close-ok the server sends nothing more.
    run.channelCloseReply = 'hold';
    server.received$.subscribe((m) => {
      if (m.name === 'channel.close-ok') held = undefined;
    });

    let ended: 'error' | 'complete' | 'unsubscribe' | undefined;
    let error: unknown;
    let stopMark: number | undefined;
    const stop = (how: NonNullable<typeof ended>) => {
      if (ended) return;
      ended = how;
      stopMark = run.mark();
    };
    const subscription: Subscription = of(connection)
      .pipe(
        openChannel({ prefetch: 5, confirm: true }),
        accessRequest('/data', { active: true, read: true }),
        declareExchange('source-ex', 'topic'),
        declareExchange('dest-ex', 'fanout'),
        declareQueue(''),
        bindQueue('', 'dest-ex', '#'),
        bindExchange('dest-ex', 'source-ex', 'orders.*'),
        consume(''),
      )
      .subscribe({
        error: (e) => {
          error = e;
          stop('error');
        },
        complete: () => stop('complete'),
      });
    await run.settle();

    for (const s of sc.steps) {
      switch (s.t) {
        case 'release':
          if (held && !connectionLost) {
            const { m, k } = held;
            held = undefined;
            answer(m, k);
          }
          break;
        case 'closeOk':
          held = undefined;
          run.releaseChannelCloses();
          break;
        case 'unsubscribe':
          stop('unsubscribe');
          subscription.unsubscribe();
          break;
        case 'serverChannelClose':
          if (!connectionLost && server.openChannels.has(1)) {
            serverClosed = true;
            server.sendMethod(1, 'channel.close', {
              replyCode: 406,
              replyText: 'PRECONDITION_FAILED',
              classId: 0,
              methodId: 0,
            });
          }
          break;
        case 'connectionLoss':
          if (!connectionLost) server.drop(new Error('read ECONNRESET'));
          connectionLost = true;
          break;
        case 'blocked':
          server.sendMethod(0, 'connection.blocked', { reason: 'low on memory' });
          break;
        case 'tick':
          await run.advance(s.ms);
          break;
      }
      await run.settle();
    }

    const live = ended === undefined;
    if (live && allAnswered && !serverClosed && !connectionLost) {
      if (!run.methods(1).some((m) => m.name === 'basic.consume'))
        run.problem('every method was answered, yet the consumer did not start');
    }
    stop('unsubscribe');
    subscription.unsubscribe();
    await run.settle();
    held = undefined;
    run.channelCloseReply = 'answer';
    run.releaseChannelCloses();
    await run.settle();

    if (stopMark !== undefined) {
      for (const m of run.writtenAfter(stopMark, 1)) {
        if (m.name === 'basic.cancel' || m.name === 'channel.close' || m.name === 'channel.close-ok') continue;
        run.problem(`${m.name} written after the pipeline ${ended}`);
      }
    }
    if (ended === 'error' && !refused && !serverClosed && !connectionLost)
      run.problem(`the pipeline errored without cause: ${text(error)}`);
    if (ended === 'complete') run.problem('the pipeline completed, though consume() never completes by itself');
  });
}

/**
 * Counterexamples found so far (shrunk), replayed on every run.
 */
const regressions: Array<[string, Scenario]> = [
  // Seed 696390645, found with a bounded channel.close() (item 4) in place: the held answer
  // arrives after the close gave up on the channel; the connection fails on the stray frame and
  // its grace timer outlives it (issue 10, item 8).
  [
    'a late answer after channel.close() gave up leaves no timer behind',
    {
      replies: ['ok', 'ok', 'hold', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'],
      steps: [{ t: 'unsubscribe' }, { t: 'tick', ms: 1000 }, { t: 'release' }],
    },
  ],
  // Seed 711210735, the same with channel.open-ok held.
  [
    'a late channel.open-ok after channel.close() gave up leaves no timer behind',
    {
      replies: ['hold', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'],
      steps: [{ t: 'unsubscribe' }, { t: 'tick', ms: 1000 }, { t: 'release' }],
    },
  ],
];

describeInvariant(
  'openChannel + topology operators + consume invariants (model-based, fake server)',
  'send the topology one method at a time, stop at a refusal, and tear down cleanly',
  scenario,
  runScenario,
  regressions,
);

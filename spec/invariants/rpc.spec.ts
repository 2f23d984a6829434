/**
 * Invariants of `rpcCall` and `serveRpc`, model-based, over the fake server acting as the
 * broker between them (see ./harness.ts).
 *
 * The serving side is `of(connection).pipe(openChannel(), serveRpc('rpc', handler))` on
 * channel 1; the calling side makes `rpcCall(channel2, 'rpc', …)` calls on channel 2 (they
 * share its direct reply-to consumer). The server forwards what is published, in the order
 * the scenario picks: a `forward` step delivers any pending request to the serving consumer,
 * an `answer` step delivers any pending reply to the caller's reply consumer; other steps
 * start a call, unsubscribe one, deliver a request from elsewhere or a stray reply, let
 * virtual time pass (call timeouts), complete or fail a waiting handler, unsubscribe the
 * server, have the server cancel its consumer or close either channel, or lose the
 * connection. Each request's handler succeeds at once, throws synchronously, returns a
 * resolved or rejected Promise, hangs, or waits for a `resolve`/`fail` step. (Steps are a
 * plain generated array, not `fc.commands`, so that a shrunk counterexample is a literal for
 * the regression list.)
 *
 * Invariants:
 * - serving: every request is settled at most once, never after its channel began to close,
 *   never while its handler runs; a handler that completed while the server lived has its
 *   reply published (to the request's replyTo, with its correlationId) and its request acked;
 *   a handler that failed (synchronously too) has its request nacked/rejected, or acked only
 *   with a reply; the server goes on (no stall while fewer than `concurrency` handlers run)
 *   and errors only when its consumer was cancelled, its channel closed or the connection
 *   lost; after it is unsubscribed or ended its channel carries only acks, basic.cancel and
 *   channel.close;
 * - calling: a call emits at most one reply, the one with its own correlationId, and gets it
 *   when it arrives while the call waits; with a timeout, a call still waiting once the
 *   timeout passed has ended (TimeoutError); a call's request is never published after it was
 *   unsubscribed; once the connection closed, every call has ended or been unsubscribed;
 * - the harness's final checks (close within closeTimeout, no timers left, nothing unhandled).
 */
import fc from 'fast-check';
import { NEVER, of, Subject, tap, type Observable, type Subscription } from 'rxjs';
import { openChannel, rpcCall, serveRpc, type Channel, type Delivery, type RpcServed } from 'rx-amqp';
import type { ReceivedMethod } from 'rx-amqp/testing';
import { record, type Outcome } from '../support/fake';
import { brokerSettles, describeError as text, settleFrames, withRun } from './harness';
import { describeInvariant } from './describe-invariant';

type Behaviour = 'syncOk' | 'syncThrow' | 'promiseResolve' | 'promiseReject' | 'hang' | 'async';

type Step =
  | { t: 'call' }
  | { t: 'unsubscribeCall'; pick: number }
  | { t: 'forward'; pick: number }
  | { t: 'externalRequest' }
  | { t: 'answer'; pick: number }
  | { t: 'strayReply' }
  | { t: 'resolve'; pick: number }
  | { t: 'fail'; pick: number }
  | { t: 'tick'; ms: number }
  | { t: 'unsubscribeServer' }
  | { t: 'serverCancel' }
  | { t: 'serverChannelClose'; side: 'serving' | 'calling' }
  | { t: 'connectionLoss' };

interface Scenario {
  concurrency: number;
  /** rpcCall's timeout (0: none). */
  timeout: number;
  /** Handler behaviour of the n-th request, cycled. */
  behaviours: Behaviour[];
  steps: Step[];
}

const pick = fc.nat(5);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ t: 'call' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('unsubscribeCall' as const), pick }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('forward' as const), pick }) },
  { weight: 1, arbitrary: fc.constant({ t: 'externalRequest' as const }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('answer' as const), pick }) },
  { weight: 1, arbitrary: fc.constant({ t: 'strayReply' as const }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('resolve' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('fail' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 3000 }) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'unsubscribeServer' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'serverCancel' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('serverChannelClose' as const),
      side: fc.constantFrom<'serving' | 'calling'>('serving', 'calling'),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ t: 'connectionLoss' as const }) },
);

const scenario: fc.Arbitrary<Scenario> = fc.record({
  concurrency: fc.integer({ min: 1, max: 3 }),
  timeout: fc.constantFrom(0, 1000, 2500),
  behaviours: fc.array(
    fc.constantFrom<Behaviour>(
      'syncOk',
      'syncOk',
      'syncThrow',
      'promiseResolve',
      'promiseReject',
      'hang',
      'async',
      'async',
    ),
    { minLength: 1, maxLength: 6 },
  ),
  steps: fc.array(step, { maxLength: 40, size: 'medium' }),
});

/** A request as the serving side sees it. */
interface Request {
  tag: number;
  correlationId: string;
  replyTo: string;
  behaviour: Behaviour;
  called: boolean;
  outcome: 'pending' | 'completed' | 'failed';
  /** Whether the server pipeline and its channel lived when the handler finished. */
  live: boolean;
  decidedAt: number;
  subject?: Subject<string>;
}

/** A call as the calling side made it. */
interface Call {
  body: string;
  outcome: Outcome<Delivery>;
  correlationId?: string;
  unsubscribed: boolean;
  unsubscribeMark?: number;
  /** A reply with its correlationId reached the client while the call waited. */
  answered: boolean;
}

const REPLY_TAG = 'reply-consumer';
const SERVE_TAG = 'serve-consumer';

async function runScenario(sc: Scenario): Promise<void> {
  await withRun({ closeTimeout: 1000 }, async (run) => {
    const { server, connection } = run;
    let counter = 0;
    let serveActive = false; // the server delivers to the serving consumer
    let replyActive = false; // ... and to the reply consumer
    let connectionLost = false;
    const requests = new Map<number, Request>();
    const pendingRequests: ReceivedMethod[] = []; // published by callers, not yet forwarded
    const pendingReplies: ReceivedMethod[] = []; // published by the server, not yet delivered
    let serveTag = 0;
    let replyTag = 0;

    server.handle('basic.consume', (m) => {
      if (m.args.queue === 'amq.rabbitmq.reply-to') {
        replyActive = true;
        server.reply(m, 'basic.consume-ok', { consumerTag: REPLY_TAG });
      } else {
        serveActive = true;
        server.reply(m, 'basic.consume-ok', { consumerTag: SERVE_TAG });
      }
    });
    server.received$.subscribe((m) => {
      if (m.name === 'basic.publish') {
        if (m.args.routingKey === 'rpc') pendingRequests.push(m);
        else pendingReplies.push(m);
      }
      if (m.name === 'basic.cancel' || m.name === 'channel.close' || m.name === 'channel.close-ok') {
        if (m.channel === 1) serveActive = false;
        if (m.channel === 2) replyActive = false;
      }
    });

    // ---- the serving side (channel 1) ----
    let serving: Channel | undefined;
    let serverEnded: 'error' | 'complete' | 'unsubscribe' | undefined;
    let serverError: unknown;
    let serverStopMark: number | undefined;
    let serverStopCounter = 0;
    let serverLegitimateEnd = false;
    const stopServer = (how: NonNullable<typeof serverEnded>) => {
      if (serverEnded) return;
      serverEnded = how;
      serverStopMark = run.mark();
      serverStopCounter = counter++;
    };
    const servingLive = () => serverEnded === undefined && !connectionLost && serving !== undefined && serving.isOpen;
    const decide = (r: Request, outcome: 'completed' | 'failed') => {
      r.outcome = outcome;
      r.decidedAt = counter++;
      r.live = servingLive();
    };
    let requestCount = 0;
    const handler = (d: Delivery): Observable<string> | Promise<string> => {
      const r = requests.get(d.deliveryTag)!;
      r.called = true;
      switch (r.behaviour) {
        case 'syncOk':
          decide(r, 'completed');
          return of(`reply to ${d.text}`);
        case 'syncThrow':
          decide(r, 'failed');
          throw new Error(`cannot serve ${d.text}`);
        case 'promiseResolve':
          decide(r, 'completed');
          return Promise.resolve(`reply to ${d.text}`);
        case 'promiseReject':
          decide(r, 'failed');
          return Promise.reject(new Error(`failed to serve ${d.text}`));
        case 'hang':
          return NEVER;
        case 'async':
          r.subject = new Subject<string>();
          return r.subject;
      }
    };
    const serverSub: Subscription = of(connection)
      .pipe(
        openChannel({ prefetch: 10 }),
        tap((c) => (serving = c)),
        serveRpc('rpc', handler, { concurrency: sc.concurrency }),
      )
      .subscribe({
        next: (_served: RpcServed) => undefined,
        error: (e) => {
          serverError = e;
          stopServer('error');
        },
        complete: () => stopServer('complete'),
      });

    // ---- the calling side (channel 2) ----
    await run.settle();
    const calling = await connection.openChannel();
    const calls: Call[] = [];

    const deliverRequest = (correlationId: string, replyTo: string, body: string) => {
      const tag = ++serveTag;
      requests.set(tag, {
        tag,
        correlationId,
        replyTo,
        behaviour: sc.behaviours[requestCount++ % sc.behaviours.length],
        called: false,
        outcome: 'pending',
        live: false,
        decidedAt: -1,
      });
      server.sendContent(
        1,
        'basic.deliver',
        { consumerTag: SERVE_TAG, deliveryTag: tag, redelivered: false, exchange: '', routingKey: 'rpc' },
        body,
        { correlationId, replyTo },
      );
    };

    for (const s of sc.steps) {
      switch (s.t) {
        case 'call': {
          const body = `call-${calls.length}`;
          const call: Call = {
            body,
            outcome: undefined as unknown as Outcome<Delivery>,
            unsubscribed: false,
            answered: false,
          };
          calls.push(call);
          call.outcome = record(rpcCall(calling, 'rpc', body, { timeout: sc.timeout, scheduler: run.scheduler }));
          break;
        }
        case 'unsubscribeCall': {
          const open = calls.filter((c) => !c.unsubscribed && !c.outcome.ended);
          if (open.length === 0) break;
          const c = open[s.pick % open.length];
          c.unsubscribed = true;
          c.unsubscribeMark = run.mark();
          c.outcome.subscription.unsubscribe();
          break;
        }
        case 'forward': {
          if (!serveActive || connectionLost || pendingRequests.length === 0) break;
          const [m] = pendingRequests.splice(s.pick % pendingRequests.length, 1);
          const p = m.properties as { correlationId: string; replyTo: string };
          deliverRequest(p.correlationId, p.replyTo, m.body!.toString());
          break;
        }
        case 'externalRequest':
          if (serveActive && !connectionLost)
            deliverRequest(`ext-${serveTag + 1}`, 'amq.rabbitmq.reply-to.elsewhere', `external-${serveTag + 1}`);
          break;
        case 'answer': {
          if (!replyActive || connectionLost) break;
          const mine = pendingReplies.filter((m) => (m.args.routingKey as string) === 'amq.rabbitmq.reply-to');
          if (mine.length === 0) break;
          const m = mine[s.pick % mine.length];
          pendingReplies.splice(pendingReplies.indexOf(m), 1);
          const correlationId = (m.properties as { correlationId?: string }).correlationId;
          const call = calls.find((c) => c.correlationId === correlationId);
          if (call && !call.unsubscribed && !call.outcome.ended) call.answered = true;
          server.sendContent(
            2,
            'basic.deliver',
            {
              consumerTag: REPLY_TAG,
              deliveryTag: ++replyTag,
              redelivered: false,
              exchange: '',
              routingKey: 'amq.rabbitmq.reply-to',
            },
            m.body!,
            { correlationId },
          );
          break;
        }
        case 'strayReply':
          if (replyActive && !connectionLost) {
            server.sendContent(
              2,
              'basic.deliver',
              {
                consumerTag: REPLY_TAG,
                deliveryTag: ++replyTag,
                redelivered: false,
                exchange: '',
                routingKey: 'amq.rabbitmq.reply-to',
              },
              'stray',
              { correlationId: 'nobody' },
            );
          }
          break;
        case 'resolve':
        case 'fail': {
          const open = [...requests.values()].filter((r) => r.subject && r.outcome === 'pending');
          if (open.length === 0) break;
          const r = open[s.pick % open.length];
          decide(r, s.t === 'resolve' ? 'completed' : 'failed');
          if (s.t === 'resolve') {
            r.subject!.next(`late reply ${r.tag}`);
            r.subject!.complete();
          } else {
            r.subject!.error(new Error(`async failure ${r.tag}`));
          }
          break;
        }
        case 'tick':
          await run.advance(s.ms);
          break;
        case 'unsubscribeServer':
          stopServer('unsubscribe');
          serverSub.unsubscribe();
          break;
        case 'serverCancel':
          if (serveActive && !connectionLost) {
            serveActive = false;
            serverLegitimateEnd = true;
            server.sendMethod(1, 'basic.cancel', { consumerTag: SERVE_TAG, nowait: false });
          }
          break;
        case 'serverChannelClose': {
          const id = s.side === 'serving' ? 1 : 2;
          if (connectionLost || !server.openChannels.has(id)) break;
          if (id === 1) {
            serveActive = false;
            serverLegitimateEnd = true;
          } else {
            replyActive = false;
          }
          server.sendMethod(id, 'channel.close', { replyCode: 404, replyText: 'NOT_FOUND', classId: 60, methodId: 40 });
          break;
        }
        case 'connectionLoss':
          if (!connectionLost) server.drop(new Error('read ECONNRESET'));
          connectionLost = true;
          serveActive = replyActive = false;
          break;
      }
      await run.settle();
      for (const c of calls) {
        if (c.correlationId === undefined) {
          const m = run.methods(2).find((x) => x.name === 'basic.publish' && x.body!.toString() === c.body);
          if (m) c.correlationId = (m.properties as { correlationId?: string }).correlationId;
        }
      }
    }

    // ---- the serving side went on ----
    if (servingLive()) {
      const all = [...requests.values()];
      const running = all.filter((r) => r.called && r.outcome === 'pending').length;
      const waiting = all.filter((r) => !r.called);
      if (waiting.length > 0 && running < sc.concurrency)
        run.problem(
          `serveRpc stalled: requests ${waiting.map((r) => r.tag).join(', ')} wait with ${running} of ${sc.concurrency} handlers running`,
        );
    }
    // ---- calls time out ----
    if (sc.timeout > 0) {
      await run.advance(sc.timeout + 1);
      for (const c of calls) {
        if (!c.unsubscribed && !c.outcome.ended)
          run.problem(
            `call ${c.body} still waits ${sc.timeout + 1} ms after its last chance, with timeout ${sc.timeout}`,
          );
      }
    }
    // ---- teardown ----
    stopServer('unsubscribe');
    serverSub.unsubscribe();
    await run.settlesWithinCloseTimeout(connection.close(), 'connection.close()');

    // ---- invariants: serving ----
    const methods1 = run.methods(1);
    const frames = settleFrames(methods1);
    const settled = brokerSettles([...requests.keys()], frames, (p) => run.problem(p));
    const closeAt = methods1.findIndex((m) => m.name === 'channel.close' || m.name === 'channel.close-ok');
    if (closeAt >= 0) {
      const late = settleFrames(methods1.slice(closeAt + 1));
      if (late.length > 0)
        run.problem(
          `channel 1: ${late.map((f) => `${f.name} ${f.tag}`).join(', ')} written after ${methods1[closeAt].name}`,
        );
    }
    const replies = methods1.filter((m) => m.name === 'basic.publish');
    for (const r of requests.values()) {
      const s = settled.get(r.tag);
      const id = `request ${r.tag} (${r.behaviour})`;
      const replied = replies.some(
        (m) =>
          (m.properties as { correlationId?: string }).correlationId === r.correlationId &&
          m.args.routingKey === r.replyTo,
      );
      if (r.outcome === 'pending') {
        if (s) run.problem(`${id} settled (${s.name}) though its handler never finished`);
        continue;
      }
      if (!s) {
        if (r.live) run.problem(`${id} ${r.outcome} while the server lived, yet was never settled`);
        continue;
      }
      if (r.outcome === 'completed') {
        if (s.name !== 'basic.ack') run.problem(`${id} completed but was settled with ${s.name}`);
        if (!replied) run.problem(`${id} completed and was acked, but no reply was published`);
      } else if (s.name === 'basic.ack' && !replied) {
        run.problem(`${id} failed but was acked without a reply`);
      }
    }
    if (serverStopMark !== undefined) {
      for (const m of run.writtenAfter(serverStopMark, 1)) {
        if (m.name === 'basic.cancel' || m.name === 'channel.close' || m.name === 'channel.close-ok') continue;
        if (m.name === 'basic.ack') {
          const frame = frames.find((f) => f.method === m);
          const late = [...requests.values()].filter(
            (r) => settled.get(r.tag) === frame && r.decidedAt > serverStopCounter,
          );
          if (late.length > 0)
            run.problem(
              `after serveRpc ${serverEnded}, an ack settles requests finished later (${late.map((r) => r.tag).join(', ')})`,
            );
          continue;
        }
        run.problem(`channel 1: ${m.name} written after serveRpc ${serverEnded}`);
      }
    }
    if (serverEnded === 'error' && !serverLegitimateEnd && !connectionLost)
      run.problem(`serveRpc errored without cause: ${text(serverError)}`);

    // ---- invariants: calling ----
    for (const c of calls) {
      const o = c.outcome;
      if (o.values.length > 1) run.problem(`call ${c.body} emitted ${o.values.length} replies`);
      for (const v of o.values) {
        if (v.properties.correlationId !== c.correlationId)
          run.problem(`call ${c.body} (${c.correlationId}) got the reply for ${v.properties.correlationId}`);
      }
      if (c.answered && o.values.length !== 1)
        run.problem(
          `call ${c.body}: its reply arrived while it waited, but it emitted ${o.values.length} values (${o.errored ? text(o.error) : 'no error'})`,
        );
      if (!c.unsubscribed && !o.ended) run.problem(`call ${c.body} never ended, though the connection closed`);
      if (c.unsubscribeMark !== undefined) {
        const late = run
          .writtenAfter(c.unsubscribeMark, 2)
          .filter((m) => m.name === 'basic.publish' && m.body!.toString() === c.body);
        if (late.length > 0) run.problem(`call ${c.body}: its request was published after it was unsubscribed`);
      }
    }
  });
}

/**
 * Counterexamples found so far (shrunk), replayed on every run, with the issue-10 item each
 * one caught on main (8d164b8) and the seed that found it.
 */
const regressions: Array<[string, Scenario]> = [
  // item 1, seed 1072164971: a handler that throws synchronously stopped the server.
  [
    'a handler that throws does not stop the server: the next call is answered',
    {
      concurrency: 1,
      timeout: 1000,
      behaviours: ['syncThrow', 'syncOk'],
      steps: [
        { t: 'call' },
        { t: 'forward', pick: 0 },
        { t: 'call' },
        { t: 'forward', pick: 0 },
        { t: 'answer', pick: 0 },
      ],
    },
  ],
];

describeInvariant(
  'rpcCall + serveRpc invariants (model-based, fake server as the broker)',
  'answer every request once, settle it as its handler ended, and give each call its own reply or a timeout',
  scenario,
  runScenario,
  regressions,
);

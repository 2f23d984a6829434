/**
 * One fuzz run: a scenario's recording, mutated by the run's seed, replayed into the client
 * while it runs the scenario's session on a virtual-time scheduler. The run must end in a
 * normal close or with typed errors (AmqpError subclasses) only; see {@link RunOutcome}.
 */
import { VirtualTimeScheduler } from 'rxjs';
import { connect } from '../../lib/connection/connect';
import type { Connection } from '../../lib/facades';
import { AmqpError } from '../../lib/protocol/errors';
import { dictionary } from './dictionary';
import { mutate, framesOf, type MutatedSegment, type MutationLog } from './mutate';
import { Prng } from './prng';
import { loadRecording, type Recording } from './recording';
import { ReplayTransport, type EndMode } from './replay-transport';
import { SCENARIOS, type Scenario } from './sessions';

/** The recordings, frames of all of them for splicing, and each one's dictionary (dictionary.ts). */
export interface Corpus {
  recordings: Recording[];
  frames: Buffer[];
  dictionaries: Map<string, Buffer[]>;
}

/** Loads every scenario's recording. */
export function loadCorpus(): Corpus {
  const recordings = Object.keys(SCENARIOS).map(loadRecording);
  const frames = recordings.flatMap((r) => framesOf(r).flatMap((s) => s.frames));
  const dictionaries = new Map(
    recordings.map((r) => [r.scenario, dictionary(r, SCENARIOS[r.scenario].options.protocol ?? '0-9-1')]),
  );
  return { recordings, frames, dictionaries };
}

/** How a run ended. */
export type RunKind = 'closed' | 'typed-error' | 'escape' | 'hang';

/** What one run did. */
export interface RunOutcome {
  seed: number;
  scenario: string;
  mutation: MutationLog;
  endMode: EndMode;
  /** Whether the run reconnected (connect with `reconnect`, the stream played twice). */
  reconnect: boolean;
  /** Every n-th write reported a full buffer (0: none). */
  backpressure: number;
  /** Connections `connect()` emitted (2 when a reconnect succeeded). */
  connections: number;
  kind: RunKind;
  /** Name of the first error the run saw (typed-error runs). */
  error?: string;
  /** Its message. */
  message?: string;
  /** Timers still scheduled on the connection's scheduler after the run ended (informational). */
  timersLeft: number;
  /** Why the run is an escape or a hang. */
  problems: string[];
}

/**
 * Where escapes that no callback can attribute land: process-level `uncaughtException` /
 * `unhandledRejection` and RxJS's `config.onUnhandledError` report into the current run.
 */
export const escapeSink = { current: null as string[] | null, stray: [] as string[] };

/** Records an escape reported by a process-level hook. */
export function reportEscape(what: string, e: unknown): void {
  const text = `${what}: ${describe(e)}`;
  (escapeSink.current ?? escapeSink.stray).push(text);
}

function describe(e: unknown): string {
  if (e instanceof Error)
    return `${e.name}: ${e.message}${e.stack ? `\n${e.stack.split('\n').slice(1, 6).join('\n')}` : ''}`;
  return String(e);
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Virtual ms after which the driver stops advancing time: far beyond every timeout of the session. */
const VIRTUAL_LIMIT = 24 * 3600 * 1000;
/** Driver turns after which a run that has not ended is a hang. */
const MAX_TURNS = 400;

/** Options of {@link runOnce}. */
export interface RunOptions {
  /** Replay unmutated (the baseline run of a scenario). */
  baseline?: string;
  /** Wait for a timer turn after the run, so that RxJS's deferred reports of unhandled errors land in it. */
  waitForTimers?: boolean;
}

/** How one stream is replayed (drawn from the seed by {@link runOnce}). */
export interface ReplayConfig {
  endMode: EndMode;
  /** The client's heartbeat option (undefined: the server's proposal). */
  heartbeat: number | undefined;
  /** Connect with `reconnect` and play the stream again to a second connection. */
  reconnect: boolean;
  /** Every n-th write reports a full buffer (0: never). */
  backpressure: number;
  /** Wait for a timer turn after the run, so that RxJS's deferred reports of unhandled errors land in it. */
  waitForTimers?: boolean;
}

/** What replaying one stream did. */
export type ReplayResult = Pick<
  RunOutcome,
  'kind' | 'error' | 'message' | 'problems' | 'connections' | 'timersLeft'
> & { errors: unknown[] };

/** Runs one seed: draws the recording, the mutations and the replay configuration, then replays. */
export async function runOnce(seed: number, corpus: Corpus, options: RunOptions = {}): Promise<RunOutcome> {
  const rng = new Prng(seed);
  const recording = options.baseline
    ? corpus.recordings.find((r) => r.scenario === options.baseline)!
    : rng.pick(corpus.recordings);
  const { segments, log } = mutate(
    recording,
    rng,
    corpus.frames,
    corpus.dictionaries.get(recording.scenario)!,
    options.baseline ? 0 : undefined,
  );
  const config: ReplayConfig = {
    endMode: rng.pick(['eof', 'eof', 'reset', 'silent'] as const),
    heartbeat: rng.chance(0.5) ? 0 : undefined,
    // A third of the runs reconnect: the broker "comes back" once and plays the same stream again.
    reconnect: !options.baseline && rng.chance(0.3),
    backpressure: !options.baseline && rng.chance(0.2) ? rng.range(1, 6) : 0,
    waitForTimers: options.waitForTimers,
  };
  const result = await replay(recording, segments, config);
  return {
    seed,
    scenario: recording.scenario,
    mutation: log,
    endMode: config.endMode,
    reconnect: config.reconnect,
    backpressure: config.backpressure,
    ...result,
  };
}

/**
 * Plays `segments` (a recording of `recording`'s scenario, mutated or not) to a client running
 * that scenario's session, and judges how it ended.
 */
export async function replay(
  recording: Recording,
  segments: MutatedSegment[],
  config: ReplayConfig,
): Promise<ReplayResult> {
  const scenario: Scenario = SCENARIOS[recording.scenario];
  const { endMode, heartbeat, reconnect, backpressure } = config;
  const problems: string[] = [];
  escapeSink.current = problems;

  const transport = new ReplayTransport(segments, { conversations: reconnect ? 2 : 1, backpressure });
  const scheduler = new VirtualTimeScheduler();
  const errors: unknown[] = [];
  let connectEnded = false;
  let latest: Connection | undefined;
  let connections = 0;
  let pending = 0;
  const closeConnection = (c: Connection) => {
    pending++;
    let p: Promise<void>;
    try {
      p = c.close();
    } catch (e) {
      problems.push(`connection.close() threw: ${describe(e)}`);
      pending--;
      return;
    }
    p.then(
      () => pending--,
      (e) => {
        errors.push(e);
        pending--;
      },
    );
  };

  const subscription = connect({
    ...scenario.options,
    heartbeat,
    transport: transport.factory,
    scheduler,
    username: 'guest',
    password: 'guest',
    reconnect: reconnect ? { maxAttempts: 2, initialDelay: 100, jitter: 0 } : undefined,
  }).subscribe({
    next: (c) => {
      connections++;
      if (connections > 1 && !reconnect) problems.push('connect() emitted a second Connection without reconnect');
      latest = c;
      pending++;
      let run: Promise<void>;
      try {
        run = scenario.run(c, recording.params, (e) => errors.push(e));
      } catch (e) {
        run = Promise.reject(e);
      }
      // Like an application's switchMap: when its session on the newest connection is done, it closes.
      run.then(
        () => {
          pending--;
          if (c === latest) closeConnection(c);
        },
        (e) => {
          pending--;
          errors.push(e);
          if (c === latest) closeConnection(c);
        },
      );
    },
    error: (e) => {
      connectEnded = true;
      errors.push(e);
    },
    complete: () => {
      connectEnded = true;
    },
  });

  const finished = () => connectEnded && pending === 0;
  let closeCalled = false;
  let turns = 0;
  for (; turns < MAX_TURNS; turns++) {
    await settle();
    if (finished()) break;
    if (transport.drain()) continue;
    if (transport.releaseNext()) continue;
    if (transport.end(endMode)) continue;
    const next = scheduler.actions[0];
    if (next && next.delay <= VIRTUAL_LIMIT) {
      // One step of virtual time: every action due at the next instant, then back to the microtasks.
      scheduler.maxFrames = next.delay;
      try {
        scheduler.flush();
      } catch (e) {
        problems.push(`a timer callback threw: ${describe(e)}`);
      }
      continue;
    }
    if (!closeCalled) {
      // Stalled with no timer left (a silent server, heartbeats off): the application gives up.
      closeCalled = true;
      if (latest && latest.state !== 'closed') closeConnection(latest);
      else subscription.unsubscribe();
      continue;
    }
    break;
  }
  if (!finished()) {
    problems.push(
      `hang: connect ${connectEnded ? 'ended' : 'still open'}, ${pending} sessions or closes pending, state ${latest?.state ?? 'no connection'}, ${connections} connections, ${turns} turns, virtual ${scheduler.now()} ms`,
    );
  } else if (latest && latest.state !== 'closed') {
    problems.push(`connection state ${latest.state} after the run ended`);
  }
  subscription.unsubscribe();
  const timersLeft = scheduler.actions.length;
  if (config.waitForTimers) await new Promise((resolve) => setTimeout(resolve, 5));
  escapeSink.current = null;

  for (const e of transport.escapes) problems.push(`the client threw out of a transport callback: ${describe(e)}`);
  for (const e of errors) if (!(e instanceof AmqpError)) problems.push(`untyped error: ${describe(e)}`);
  if (!reconnect && transport.attempts > 1)
    problems.push(`${transport.attempts} connection attempts without reconnect`);
  const hang = problems.some((p) => p.startsWith('hang:'));
  const kind: RunKind = hang ? 'hang' : problems.length > 0 ? 'escape' : errors.length > 0 ? 'typed-error' : 'closed';
  const first = errors[0];
  return {
    kind,
    error: first instanceof Error ? first.constructor.name : first === undefined ? undefined : String(first),
    message: first instanceof Error ? first.message : undefined,
    problems,
    connections,
    timersLeft,
    errors,
  };
}

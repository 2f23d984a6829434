/**
 * The mutation fuzzer's recordings (scripts/fuzz) in `npm test`: deterministic sweeps, not the
 * random 100,000 runs (`npm run fuzz`). Each unmutated recording of RabbitMQ 3.10 replays to a
 * normal close, and the recorded streams cut at every byte (the handshake) or every few bytes
 * (the consume/confirm and 0-8 sessions) end the client's session in typed errors or a normal
 * close, with no escape and no hang, whether the server then hangs up, resets or goes silent;
 * cut before open-ok, always in a typed error.
 */
import { config } from 'rxjs';
import { escapeSink, loadCorpus, replay, reportEscape, type ReplayConfig } from '../../scripts/fuzz/run';
import type { MutatedSegment } from '../../scripts/fuzz/mutate';
import type { Recording } from '../../scripts/fuzz/recording';

const corpus = loadCorpus();
const recording = (name: string) => corpus.recordings.find((r) => r.scenario === name)!;
const base: ReplayConfig = { endMode: 'eof', heartbeat: 0, reconnect: false, backpressure: 0 };

/** The recording as recorded, one chunk per segment. */
function asRecorded(r: Recording): MutatedSegment[] {
  return r.segments.map((s) => ({ after: s.after, chunks: [s.bytes] }));
}

/** The recording with everything from byte `cut` of the server's stream on left out. */
function truncated(r: Recording, cut: number): MutatedSegment[] {
  const out: MutatedSegment[] = [];
  let offset = 0;
  for (const s of r.segments) {
    if (offset >= cut) break;
    out.push({ after: s.after, chunks: [s.bytes.subarray(0, cut - offset)] });
    offset += s.bytes.length;
  }
  return out;
}

const streamLength = (r: Recording) => r.segments.reduce((n, s) => n + s.bytes.length, 0);

let previous: typeof config.onUnhandledError;
const onUncaught = (e: unknown) => reportEscape('uncaught exception', e);
const onRejection = (e: unknown) => reportEscape('unhandled rejection', e);
beforeAll(() => {
  previous = config.onUnhandledError;
  config.onUnhandledError = (e) => reportEscape('error RxJS could not deliver', e);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onRejection);
});
afterAll(() => {
  config.onUnhandledError = previous;
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onRejection);
  expect(escapeSink.stray).toEqual([]);
});

describe('fuzzer recordings', () => {
  it.each(['handshake', 'consume-confirm', 'legacy-0-8'])('%s replays unmutated to a normal close', async (name) => {
    const result = await replay(recording(name), asRecorded(recording(name)), { ...base, waitForTimers: true });
    expect(result.problems).toEqual([]);
    expect(result.errors).toEqual([]);
    expect(result.kind).toBe('closed');
    expect(result.connections).toBe(1);
  });

  it.each([
    ['handshake', 2],
    ['consume-confirm', 13],
    ['legacy-0-8', 7],
  ] as const)(
    '%s cut every %i bytes ends in a typed error or a normal close, however the server goes',
    async (name, step) => {
      const r = recording(name);
      const length = streamLength(r);
      // connection.start, tune and open-ok: the first three chunks the broker sent.
      const handshakeEnd = r.segments.slice(0, 3).reduce((n, s) => n + s.bytes.length, 0);
      const failures: string[] = [];
      let typed = 0;
      for (let cut = 0; cut < length; cut += step) {
        for (const endMode of ['eof', 'reset', 'silent'] as const) {
          const result = await replay(r, truncated(r, cut), {
            ...base,
            endMode,
            heartbeat: cut % 2 === 0 ? 0 : undefined,
          });
          if (result.kind === 'escape' || result.kind === 'hang')
            failures.push(`cut ${cut} ${endMode}: ${result.problems.join('; ')}`);
          if (result.kind === 'typed-error') typed++;
          else if (cut < handshakeEnd)
            failures.push(`cut ${cut} ${endMode}: the handshake never finished, yet ${result.kind}`);
        }
      }
      expect(failures).toEqual([]);
      expect(typed).toBeGreaterThan(0);
    },
  );
});

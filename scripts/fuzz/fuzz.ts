/**
 * Mutation fuzzer of the client against hostile server byte streams (issue 10). Not part of
 * `npm test`:
 *
 *   npm run fuzz                               100,000 runs, seed from the clock
 *   npm run fuzz -- --runs 5000 --seed 42      a shorter, fixed session
 *   npm run fuzz -- --replay 0x1234abcd        one run again, by the seed it printed (verbose)
 *
 * (`npm run fuzz` is `node --expose-gc --import tsx scripts/fuzz/fuzz.ts`.)
 *
 * Each run takes one of the recorded broker streams (scripts/fuzz/recordings, re-recorded by
 * scripts/fuzz/record.ts), mutates it (mutate.ts) and feeds it through an injected transport
 * to the client while it runs a realistic session (sessions.ts) on a virtual-time scheduler.
 * Every run must end in a normal close or with typed errors (AmqpError): no uncaught
 * exception, no unhandled rejection, no error RxJS could not deliver, no exception out of a
 * transport callback or a timer, no hang (the driver hands segments over, ends the stream,
 * advances virtual time and finally calls `close()`; a run not ended after that is a hang).
 * The heap is sampled after a full GC every `--sample` runs; the trend is reported.
 *
 * Options: --runs N (100000), --seed S (the clock), --sample N (2000), --replay SEED,
 * --max-report N (failing seeds printed in full, 20).
 */
import { config } from 'rxjs';
import { runSeed } from './prng';
import { escapeSink, loadCorpus, reportEscape, runOnce, type RunOutcome } from './run';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('run with node --expose-gc (npm run fuzz does)');
  g();
  g();
}

process.on('uncaughtException', (e) => reportEscape('uncaught exception', e));
process.on('unhandledRejection', (e) => reportEscape('unhandled rejection', e));
config.onUnhandledError = (e) => reportEscape('error RxJS could not deliver (no error callback)', e);

function printOutcome(o: RunOutcome): void {
  console.log(`  ${o.kind.toUpperCase()} seed ${hex(o.seed)} (replay: npm run fuzz -- --replay ${hex(o.seed)})`);
  console.log(
    `    scenario ${o.scenario}, mutations [${o.mutation.operators.join(', ')}], end ${o.endMode}, reconnect ${o.reconnect}, backpressure ${o.backpressure}, error ${o.error ?? 'none'}`,
  );
  for (const p of o.problems) console.log(`    ${p.split('\n').join('\n      ')}`);
}

async function main(): Promise<void> {
  const corpus = loadCorpus();
  const replay = arg('replay');
  if (replay !== undefined) {
    const o = await runOnce(Number(replay), corpus, { waitForTimers: true });
    printOutcome(o);
    process.exitCode = o.kind === 'escape' || o.kind === 'hang' ? 1 : 0;
    return;
  }
  const runs = Number(arg('runs') ?? 100000);
  const seed = Number(arg('seed') ?? Date.now() % 0x100000000) >>> 0;
  const sampleEvery = Number(arg('sample') ?? 2000);
  const maxReport = Number(arg('max-report') ?? 20);

  // Each unmutated recording must replay to a normal close, or the fuzzer tests nothing.
  for (const r of corpus.recordings) {
    const o = await runOnce(0, corpus, { baseline: r.scenario, waitForTimers: true });
    if (o.kind !== 'closed') {
      printOutcome(o);
      throw new Error(`baseline ${r.scenario} did not replay to a normal close`);
    }
  }
  console.log(
    `rx-amqp mutation fuzzer: ${runs} runs, seed ${hex(seed)}, recordings ${corpus.recordings.map((r) => r.scenario).join(', ')} (baselines replay to a normal close)`,
  );

  const kinds: Record<string, number> = { closed: 0, 'typed-error': 0, escape: 0, hang: 0 };
  const errorNames = new Map<string, number>();
  const failures: RunOutcome[] = [];
  const samples: Array<{ run: number; heap: number }> = [];
  gc();
  const startHeap = process.memoryUsage().heapUsed;
  samples.push({ run: 0, heap: startHeap });
  const started = Date.now();
  const recent: number[] = [];
  let timersLeft = 0;
  let reconnected = 0;
  for (let i = 0; i < runs; i++) {
    const s = runSeed(seed, i);
    recent.push(s);
    if (recent.length > 3) recent.shift();
    const o = await runOnce(s, corpus);
    kinds[o.kind]++;
    if (o.timersLeft > 0) timersLeft++;
    if (o.connections > 1) reconnected++;
    if (o.error) errorNames.set(o.error, (errorNames.get(o.error) ?? 0) + 1);
    if (o.kind === 'escape' || o.kind === 'hang') {
      failures.push(o);
      if (failures.length <= maxReport) {
        printOutcome(o);
        // RxJS reports an undeliverable error on a timer, so it may land in a later run than its
        // own: replay this seed and the two before it, each waiting for the timers, to name it.
        const reproduced: number[] = [];
        for (const r of recent)
          if (['escape', 'hang'].includes((await runOnce(r, corpus, { waitForTimers: true })).kind)) reproduced.push(r);
        console.log(
          `    replayed with timers: ${reproduced.length ? `fails with seed ${reproduced.map(hex).join(', ')}` : `none of ${recent.map(hex).join(', ')} fails alone`}`,
        );
      }
    }
    if (escapeSink.stray.length) {
      console.log(
        `  stray escape reported between runs (one of seeds ${recent.map(hex).join(', ')}): ${escapeSink.stray.join('; ')}`,
      );
      escapeSink.stray.length = 0;
    }
    if ((i + 1) % sampleEvery === 0) {
      gc();
      const heap = process.memoryUsage().heapUsed;
      samples.push({ run: i + 1, heap });
      const secs = (Date.now() - started) / 1000;
      console.log(
        `  ${i + 1} runs, ${secs.toFixed(0)} s, heap ${mb(heap)}, escapes ${kinds.escape}, hangs ${kinds.hang}`,
      );
    }
  }
  const seconds = (Date.now() - started) / 1000;
  gc();
  const endHeap = process.memoryUsage().heapUsed;
  // Least-squares slope of heapUsed over the runs (bytes per 1000 runs), ignoring the first sample
  // (warm-up), over all samples and over the second half alone (after the JIT and caches settled).
  const pts = samples.slice(1);
  const slopeOf = (ps: typeof pts) => {
    const n = ps.length;
    const mx = ps.reduce((a, p) => a + p.run, 0) / n;
    const my = ps.reduce((a, p) => a + p.heap, 0) / n;
    return (
      ps.reduce((a, p) => a + (p.run - mx) * (p.heap - my), 0) /
      Math.max(
        1,
        ps.reduce((a, p) => a + (p.run - mx) ** 2, 0),
      )
    );
  };
  const slope = slopeOf(pts);
  const lateSlope = slopeOf(pts.slice(Math.floor(pts.length / 2)));
  const maxRss = process.resourceUsage().maxRSS * 1024;

  console.log('');
  console.log(
    `runs ${runs}, seed ${hex(seed)}, ${seconds.toFixed(1)} s (${((seconds * 1e6) / runs).toFixed(0)} µs per run)`,
  );
  console.log(
    `outcomes: normal close ${kinds.closed}, typed error ${kinds['typed-error']}, escapes ${kinds.escape}, hangs ${kinds.hang}`,
  );
  console.log(`runs in which the client reconnected and ran its session again on a second connection: ${reconnected}`);
  console.log(`runs that left a timer scheduled after the connection ended (not counted as hangs): ${timersLeft}`);
  console.log(
    `typed errors: ${[...errorNames]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  console.log(
    `heap after GC: start ${mb(startHeap)}, end ${mb(endHeap)}, min ${mb(Math.min(...pts.map((p) => p.heap)))}, max ${mb(Math.max(...pts.map((p) => p.heap)))}, trend ${((slope * 1000) / 1024).toFixed(2)} KB per 1000 runs (second half ${((lateSlope * 1000) / 1024).toFixed(2)}); peak RSS ${mb(maxRss)}`,
  );
  if (failures.length > maxReport) console.log(`(${failures.length - maxReport} more failing seeds not printed)`);
  process.exitCode = failures.length > 0 ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});

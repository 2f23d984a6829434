/**
 * Checks that the fuzzer's detectors detect: sabotages the client in four ways and expects
 * each to be reported (a pass means the fuzzer would have caught such a bug).
 *
 *   node --import tsx scripts/fuzz/self-test.ts
 *
 * - `untyped`: a RangeError thrown while handling every 7th frame (must be an "untyped error");
 * - `rejection`: a Promise rejected and dropped (must be an "unhandled rejection");
 * - `rxjs`: an error pushed into a Subject nobody handles errors of (RxJS's unhandled error);
 * - `hang`: `close()` never settles (must be a hang).
 */
import { config } from 'rxjs';
import { ConnectionCore } from '../../lib/connection/connection-core';
import { runSeed } from './prng';
import { loadCorpus, reportEscape, runOnce, type RunKind } from './run';

type Patchable = {
  frame: (this: ConnectionCore, ...args: unknown[]) => void;
  close: (this: ConnectionCore) => Promise<void>;
};

process.on('uncaughtException', (e) => reportEscape('uncaught exception', e));
process.on('unhandledRejection', (e) => reportEscape('unhandled rejection', e));
config.onUnhandledError = (e) => reportEscape('error RxJS could not deliver (no error callback)', e);

const SABOTAGES: Record<
  string,
  { expect: RunKind; marker: string; patch: (proto: Patchable, original: Patchable) => void }
> = {
  untyped: {
    expect: 'escape',
    marker: 'untyped error: RangeError',
    patch: (proto, original) => {
      let n = 0;
      proto.frame = function (...args) {
        if (++n % 7 === 0) throw new RangeError('sabotage');
        return original.frame.apply(this, args);
      };
    },
  },
  rejection: {
    expect: 'escape',
    marker: 'unhandled rejection',
    patch: (proto, original) => {
      let n = 0;
      proto.frame = function (...args) {
        if (++n % 7 === 0) void Promise.reject(new Error('sabotage'));
        return original.frame.apply(this, args);
      };
    },
  },
  rxjs: {
    expect: 'escape',
    marker: 'error RxJS could not deliver',
    patch: (proto, original) => {
      let n = 0;
      proto.frame = function (...args) {
        // writable$ has internal subscribers without an error callback.
        if (++n % 7 === 0) this.writable$.error(new Error('sabotage'));
        return original.frame.apply(this, args);
      };
    },
  },
  hang: {
    expect: 'hang',
    marker: 'hang:',
    patch: (proto) => {
      proto.close = () => new Promise<void>(() => undefined);
    },
  },
};

async function main(): Promise<void> {
  const corpus = loadCorpus();
  const proto = ConnectionCore.prototype as unknown as Patchable;
  const original: Patchable = { frame: proto.frame, close: proto.close };
  let failed = 0;
  for (const [name, sabotage] of Object.entries(SABOTAGES)) {
    sabotage.patch(proto, original);
    let caught = 0;
    const runs = 200;
    for (let i = 0; i < runs; i++) {
      const o = await runOnce(runSeed(3, i), corpus, { waitForTimers: true });
      if (o.kind === sabotage.expect && o.problems.some((p) => p.startsWith(sabotage.marker))) caught++;
    }
    Object.assign(proto, original);
    const ok = caught > 0;
    if (!ok) failed++;
    console.log(
      `${ok ? 'ok  ' : 'FAIL'} ${name}: ${caught} of ${runs} runs reported as ${sabotage.expect} (${sabotage.marker})`,
    );
  }
  // And without sabotage nothing is reported.
  let clean = 0;
  for (let i = 0; i < 200; i++) {
    const o = await runOnce(runSeed(3, i), corpus, { waitForTimers: true });
    if (o.kind === 'escape' || o.kind === 'hang') clean++;
  }
  console.log(`${clean === 0 ? 'ok  ' : 'FAIL'} unsabotaged: ${clean} of 200 runs reported`);
  process.exitCode = failed > 0 || clean > 0 ? 1 : 0;
}

void main();

/**
 * The runner every invariant spec shares (not a spec itself): its regression cases, then the
 * property itself over generated scenarios.
 */
import fc from 'fast-check';

/** Runs per property (a few hundred; `INVARIANT_RUNS` overrides it, e.g. for a long soak). */
export const PROPERTY_RUNS = Number(process.env.INVARIANT_RUNS ?? 300);

/**
 * A describe block named `title`: one test per regression case (`regression: <name>`, a shrunk
 * counterexample kept from an earlier run), then the test `property`: `runScenario` over
 * {@link PROPERTY_RUNS} scenarios drawn from `scenarios`, stopped after 25 s of real time.
 */
export function describeInvariant<S>(
  title: string,
  property: string,
  scenarios: fc.Arbitrary<S>,
  runScenario: (scenario: S) => Promise<void>,
  regressions: Array<[string, S]>,
): void {
  describe(title, () => {
    for (const [name, sc] of regressions) {
      it(`regression: ${name}`, async () => {
        await runScenario(sc);
      });
    }

    it(property, async () => {
      await fc.assert(fc.asyncProperty(scenarios, runScenario), {
        numRuns: PROPERTY_RUNS,
        interruptAfterTimeLimit: 25000,
      });
    });
  });
}

/**
 * The child process of one benchmark run: one client, one case. bench/index.ts bundles this
 * file together with one driver and runs it as
 *
 *   node client-<name>.js '<json: { case, url }>'
 *
 * It connects, runs the case once with a tenth of the messages to warm up, then measures one
 * run of `case.count` messages (wall time and process CPU time), closes, and prints one JSON
 * line: { messages, seconds, cpuMicros, peakRssMB, rssAfterConnectMB }.
 */
import { paramsFor, type Case, type Driver } from './cases';

export async function runClient(driver: Driver): Promise<void> {
  const { case: c, url } = JSON.parse(process.argv[2]) as { case: Case; url: string };
  const fn = driver[c.kind] as ((connection: unknown, params: unknown) => Promise<void>) | undefined;
  if (!fn) throw new Error(`this driver has no ${c.kind} case`);
  const connection = await driver.connect(url);
  const rssAfterConnect = process.memoryUsage().rss;

  await fn.call(driver, connection, paramsFor(c, Math.max(1000, Math.round(c.count / 10))));

  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await fn.call(driver, connection, paramsFor(c, c.count));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);

  await driver.close(connection);
  const result = {
    messages: c.count,
    seconds,
    cpuMicros: cpu.user + cpu.system,
    // ru_maxrss (KiB): the process's peak resident set, as VmHWM in /proc/self/status
    peakRssMB: (process.resourceUsage().maxRSS * 1024) / 1e6,
    rssAfterConnectMB: rssAfterConnect / 1e6,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

export function main(driver: Driver): void {
  runClient(driver).then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}

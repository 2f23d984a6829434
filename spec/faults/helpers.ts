/**
 * Helpers of the fault-tolerance specs (not a spec itself). The specs that only need a
 * broker to proxy to use the shared one (connections only: nothing there is stopped,
 * blocked or reconfigured); those that break a broker use the throwaway node.
 */
import { randomBytes } from 'node:crypto';
import { firstValueFrom, lastValueFrom, type Observable } from 'rxjs';
import { open, type Connection, type ConnectionStatus, type ConnectOptions } from 'rx-amqp';

/** The shared broker (never stopped, blocked or reconfigured by these specs). */
export const SHARED_BROKER_URL = process.env.RX_AMQP_TEST_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** host and port of the shared broker, for the proxy. */
export function sharedBroker(): { host: string; port: number } {
  const u = new URL(SHARED_BROKER_URL.replace(/^amqps?:/, 'http:'));
  return { host: u.hostname, port: Number(u.port || 5672) };
}

/** A name no other test (or run) uses. */
export function uniqueName(what: string): string {
  return `rxfault-${what}-${randomBytes(4).toString('hex')}`;
}

/** The single value of a cold Observable that emits once. */
export function once<T>(o: Observable<T>): Promise<T> {
  return firstValueFrom(o);
}

/** Resolves when the Observable completes. */
export function done(o: Observable<unknown>): Promise<void> {
  return lastValueFrom(o, { defaultValue: undefined }).then(() => undefined);
}

/** Polls `check` until it returns true; fails after `timeout` ms. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeout = 15000,
  interval = 25,
): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting until ${what}`);
    await sleep(interval);
  }
}

/** Resolves after `ms`: for letting time pass on purpose (idle periods, outages). */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Runs `fn` with a connection to `url`, closing it afterwards whatever happens. */
export async function withConnection<T>(
  url: string,
  fn: (c: Connection) => Promise<T>,
  options: ConnectOptions = {},
): Promise<T> {
  const c = await open({ url, connectionTimeout: 10000, ...options });
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

/** A `status` observer recording every status with the time it arrived (ms, performance.now()). */
export function statusLog(): {
  observer: { next(s: ConnectionStatus): void };
  entries: Array<{ at: number; status: ConnectionStatus }>;
  states(): string[];
} {
  const entries: Array<{ at: number; status: ConnectionStatus }> = [];
  return {
    observer: { next: (status) => entries.push({ at: performance.now(), status }) },
    entries,
    states: () => entries.map((e) => e.status.state),
  };
}

/**
 * Records a measured figure (detection time, RSS, ...). Printed when RX_AMQP_FAULT_FIGURES
 * is set, so that a run can report what the bounds were checked against.
 */
export function figure(name: string, value: number | string, unit = ''): void {
  if (process.env.RX_AMQP_FAULT_FIGURES)
    process.stdout.write(
      `[figure] ${name}: ${typeof value === 'number' ? Math.round(value * 10) / 10 : value}${unit ? ` ${unit}` : ''}\n`,
    );
}

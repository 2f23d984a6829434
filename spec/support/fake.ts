/** Helpers of the specs that run the client against the fake server (not a spec itself). */
import { inspect } from 'node:util';
import { config, VirtualTimeScheduler, type Observable, type Subscription } from 'rxjs';
import { connect, type Connection, type ConnectOptions } from 'rx-amqp';
import type { FakeServer } from 'rx-amqp/testing';

/** What an Observable did: its values, and how it ended (if it did). */
export interface Outcome<T> {
  values: T[];
  error: unknown;
  errored: boolean;
  completed: boolean;
  subscription: Subscription;
  /** Whether it errored or completed. */
  readonly ended: boolean;
}

/** Subscribes and records everything the Observable does. */
export function record<T>(source: Observable<T>): Outcome<T> {
  const outcome = {
    values: [] as T[],
    error: undefined as unknown,
    errored: false,
    completed: false,
    subscription: undefined as unknown as Subscription,
    get ended() {
      return this.errored || this.completed;
    },
  };
  outcome.subscription = source.subscribe({
    next: (v) => outcome.values.push(v),
    error: (e) => {
      outcome.error = e;
      outcome.errored = true;
    },
    complete: () => {
      outcome.completed = true;
    },
  });
  return outcome;
}

/**
 * Collects errors RxJS could not deliver (a subscriber without an error callback) during each
 * test of the calling describe block, and fails the test if there were any.
 */
export function trapUnhandledErrors(): { errors: unknown[] } {
  const trap = { errors: [] as unknown[] };
  let previous: typeof config.onUnhandledError;
  beforeEach(() => {
    trap.errors = [];
    previous = config.onUnhandledError;
    config.onUnhandledError = (e) => trap.errors.push(e);
  });
  afterEach(() => {
    config.onUnhandledError = previous;
    expect(trap.errors).toEqual([]);
  });
  return trap;
}

/** A connection to a fake server, opened with a virtual-time scheduler (no real timers). */
export interface FakeConnection {
  connection: Connection;
  outcome: Outcome<Connection>;
  scheduler: VirtualTimeScheduler;
}

/** `connect()` options pointing at the fake server, with a virtual-time scheduler. */
export function fakeOptions(
  server: FakeServer,
  options: ConnectOptions = {},
): ConnectOptions & { scheduler: VirtualTimeScheduler } {
  const scheduler = options.scheduler instanceof VirtualTimeScheduler ? options.scheduler : new VirtualTimeScheduler();
  return { username: 'guest', password: 'guest', ...options, transport: server.transport, scheduler };
}

/** Connects to the fake server and waits for the Connection; fails if it does not open. */
export async function openFake(server: FakeServer, options: ConnectOptions = {}): Promise<FakeConnection> {
  const opts = fakeOptions(server, options);
  const outcome = record(connect(opts));
  await server.idle();
  if (outcome.values.length !== 1) {
    throw new Error(`connection did not open: ${outcome.errored ? String(outcome.error) : 'no value'}`);
  }
  return { connection: outcome.values[0], outcome, scheduler: opts.scheduler };
}

/** Connects and waits until the attempt is settled; returns how `connect()` ended. */
export async function connectFake(server: FakeServer, options: ConnectOptions = {}): Promise<Outcome<Connection>> {
  const outcome = record(connect(fakeOptions(server, options)));
  await server.idle();
  return outcome;
}

/** Every own string of an error: message, stack, inspect output, JSON and cause chain. */
export function errorText(e: unknown): string {
  const parts: string[] = [String(e), inspect(e, { depth: 10, showHidden: true })];
  try {
    parts.push(JSON.stringify(e));
  } catch {
    // cyclic: inspect covers it
  }
  if (e instanceof Error) parts.push(e.message, e.stack ?? '');
  return parts.join('\n');
}

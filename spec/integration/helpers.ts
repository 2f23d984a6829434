/**
 * Shared helpers of the integration specs (not a spec itself: jest only runs `*.spec.ts`).
 * They talk to the RabbitMQ broker at 127.0.0.1:5672 (guest/guest); `rabbitmqctl` must work.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { firstValueFrom, lastValueFrom, mergeMap, of, Subject, type Observable } from 'rxjs';
import {
  open,
  socketTransport,
  type Channel,
  type Connection,
  type ConnectOptions,
  type Protocol,
  type TransportFactory,
} from 'rx-amqp';
import { decodeMethod, parseFrames } from 'rx-amqp/protocol';

/** The broker every integration spec uses. */
export const BROKER_URL = process.env.RX_AMQP_TEST_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Both dialects, for `describe.each`. */
export const DIALECTS: Protocol[] = ['0-9-1', '0-8'];

/** A name no other test (or run) uses: `rxit-<what>-<random>`. */
export function uniqueName(what: string): string {
  return `rxit-${what}-${randomBytes(5).toString('hex')}`;
}

/** Options for `open()`/`connect()` of one dialect on the test broker. */
export function opts(protocol: Protocol, extra: ConnectOptions = {}): ConnectOptions {
  return { url: BROKER_URL, protocol, connectionTimeout: 10000, ...extra };
}

/** The single value of a cold Observable that emits once (a method's reply). */
export function once<T>(o: Observable<T>): Promise<T> {
  return firstValueFrom(o);
}

/** Subscribes and resolves when the Observable completes (for `Observable<void>` methods). */
export function done(o: Observable<unknown>): Promise<void> {
  return lastValueFrom(o, { defaultValue: undefined }).then(() => undefined);
}

/** Runs `rabbitmqctl -q <args>` and resolves with its stdout. */
export function rabbitmqctl(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('rabbitmqctl', ['-q', ...args], { timeout: 20000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`rabbitmqctl ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Polls `check` until it returns true; fails after `timeout` ms (a bounded loop, never a fixed sleep). */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeout = 10000,
  interval = 50,
): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Resolves after `ms`; only for asserting that something does NOT happen within a window. */
export function quietFor(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Messages ready and unacked in a queue, as the broker counts them (-1 each when it does not list the queue). */
export async function queueCounts(queue: string): Promise<{ ready: number; unacked: number }> {
  const out = await rabbitmqctl('list_queues', 'name', 'messages_ready', 'messages_unacknowledged');
  const line = out.split('\n').find((l) => l.split('\t')[0] === queue);
  if (!line) return { ready: -1, unacked: -1 };
  const [, ready, unacked] = line.split('\t');
  return { ready: Number(ready), unacked: Number(unacked) };
}

/**
 * The admin side of a describe block (see {@link brokerAdmin}): a connection and a channel to
 * set up and inspect queues with, and the queues and exchanges to delete after all its tests.
 */
export class BrokerAdmin {
  /** Open from `beforeAll` on. */
  connection!: Connection;
  /** A channel of {@link connection}, open from `beforeAll` on. */
  channel!: Channel;
  /** Queues deleted after all tests. */
  readonly queues: string[] = [];
  /** Exchanges deleted after all tests (after the queues). */
  readonly exchanges: string[] = [];

  /** Another channel on the admin connection. */
  openChannel(): Promise<Channel> {
    return this.connection.openChannel();
  }

  /** A unique queue name (`rxit-<what>-...`), listed for deletion; nothing is declared. */
  queueName(what: string): string {
    const q = uniqueName(what);
    this.queues.push(q);
    return q;
  }

  /** Declares a queue with a unique name, listed for deletion. */
  async queue(what: string, options: Parameters<Channel['queueDeclare']>[1] = {}): Promise<string> {
    const q = this.queueName(what);
    await firstValueFrom(this.channel.queueDeclare(q, options));
    return q;
  }

  /** A fresh queue holding `n` messages 'm0' ... (published at once; confirmed in confirm mode). */
  async queueWith(what: string, n: number): Promise<string> {
    const q = await this.queue(what);
    await lastValueFrom(
      of(...Array.from({ length: n }, (_, i) => `m${i}`)).pipe(mergeMap((body) => this.channel.publish(body, '', q))),
    );
    return q;
  }

  /** Messages ready in `q` (a passive declare: quick, no rabbitmqctl). */
  async ready(q: string): Promise<number> {
    return (await firstValueFrom(this.channel.queueDeclare(q, { passive: true }))).messageCount;
  }
}

/**
 * Call in a describe block: opens a {@link BrokerAdmin}'s connection and channel before all its
 * tests (the channel in confirm mode with `confirm`), and after all of them deletes the queues
 * and exchanges it lists and closes the connection.
 */
export function brokerAdmin(options: { confirm?: boolean } = {}): BrokerAdmin {
  const admin = new BrokerAdmin();
  beforeAll(async () => {
    admin.connection = await open(BROKER_URL);
    admin.channel = await admin.connection.openChannel();
    if (options.confirm) await firstValueFrom(admin.channel.confirmSelect());
  });
  afterAll(async () => {
    const c = await admin.connection.openChannel();
    for (const q of admin.queues) await firstValueFrom(c.queueDelete(q));
    for (const e of admin.exchanges) await firstValueFrom(c.exchangeDelete(e));
    await admin.connection.close();
  });
  return admin;
}

/** The broker's pid of the connection whose client property `connection_name` is `name`, or undefined. */
export async function connectionPid(name: string): Promise<string | undefined> {
  const out = await rabbitmqctl('list_connections', '--no-table-headers', 'pid', 'client_properties');
  for (const line of out.split('\n')) {
    if (line.includes(`{"connection_name","${name}"}`)) return line.split('\t')[0].trim();
  }
  return undefined;
}

/** Consumer tags the broker lists for `queue` (default vhost). */
export async function brokerConsumers(queue: string): Promise<string[]> {
  const out = await rabbitmqctl('list_consumers', '--no-table-headers', 'queue_name', 'consumer_tag');
  return out
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((f) => f[0] === queue)
    .map((f) => f[1].trim());
}

/** A decoded method the client wrote. */
export interface SentMethod {
  channel: number;
  name: string;
  args: Record<string, unknown>;
}

/** A frame that went over the wire. */
export interface SentFrame {
  type: number;
  channel: number;
  size: number;
}

/**
 * A socket transport that also decodes what goes over the wire: the frames each way (type,
 * channel, payload size) and the methods the client writes. For checking what was sent.
 */
export function tapTransport(protocol: Protocol): {
  transport: TransportFactory;
  methods: SentMethod[];
  frames: SentFrame[];
  received: SentFrame[];
} {
  const methods: SentMethod[] = [];
  const frames: SentFrame[] = [];
  const received: SentFrame[] = [];
  const transport: TransportFactory = (endpoint, events) => {
    const out$ = new Subject<Uint8Array>();
    const in$ = new Subject<Uint8Array>();
    let headerSkipped = false;
    out$.pipe(parseFrames({ frameMax: 0 })).subscribe((f) => {
      frames.push({ type: f.type, channel: f.channel, size: f.payload.length });
      if (f.type === 1) {
        const m = decodeMethod(f.payload, protocol);
        methods.push({ channel: f.channel, name: m.name, args: m.args as Record<string, unknown> });
      }
    });
    in$
      .pipe(parseFrames({ frameMax: 0 }))
      .subscribe((f) => received.push({ type: f.type, channel: f.channel, size: f.payload.length }));
    const inner = socketTransport(endpoint, {
      ...events,
      data: (chunk) => {
        in$.next(new Uint8Array(chunk));
        events.data(chunk);
      },
    });
    return {
      write: (b) => {
        let chunk = b;
        if (!headerSkipped) {
          headerSkipped = true;
          chunk = b.subarray(8); // the protocol header, "AMQP" + version
        }
        if (chunk.length) out$.next(new Uint8Array(chunk));
        return inner.write(b);
      },
      end: () => inner.end(),
      destroy: () => inner.destroy(),
    };
  };
  return { transport, methods, frames, received };
}

/** Counts how many transports (TCP connections) a connect() made. */
export function countingTransport(): { transport: TransportFactory; count: () => number } {
  let n = 0;
  return {
    transport: (endpoint, events) => {
      n++;
      return socketTransport(endpoint, events);
    },
    count: () => n,
  };
}

/** Closes connections even when a test failed half-way. */
export class Cleanup {
  private readonly tasks: Array<() => Promise<unknown>> = [];

  add(task: () => Promise<unknown>): void {
    this.tasks.push(task);
  }

  /** Registers a connection to close at the end. */
  connection<T extends Connection>(c: T): T {
    this.add(() => c.close());
    return c;
  }

  async run(): Promise<void> {
    const tasks = this.tasks.splice(0).reverse();
    for (const t of tasks) {
      try {
        await t();
      } catch {
        // best effort
      }
    }
  }
}

/**
 * The broker's view of whether a connection is alive, without rabbitmqctl: the connection
 * declares an exclusive queue, which the broker deletes when the connection is gone. Another
 * connection (`observer`) asks for it: 405 RESOURCE_LOCKED while the owner lives, 404 after.
 */
export async function liveness(owner: Connection, observer: Connection): Promise<() => Promise<'alive' | 'gone'>> {
  const name = uniqueName('alive');
  const ch = await owner.openChannel();
  await firstValueFrom(ch.queueDeclare(name, { exclusive: true }));
  await ch.close();
  return async () => {
    const probe = await observer.openChannel();
    try {
      await firstValueFrom(probe.queueDeclare(name, { passive: true }));
    } catch (e) {
      const code = (e as { code?: number }).code;
      if (code === 405) return 'alive';
      if (code === 404) return 'gone';
      throw e;
    }
    await probe.close();
    throw new Error(`a passive declare of the exclusive queue ${name} of another connection succeeded`);
  };
}

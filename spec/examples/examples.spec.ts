/**
 * Runs every program in examples/ (and the demo) against the broker, each as a child process
 * (`node tsx/cli --tsconfig tsconfig.json examples/NAME.ts ...`), and checks what it prints —
 * not just its exit code. The runs are `test.concurrent`, so jest's `maxConcurrency` (5) of
 * them run at a time; each process is killed after RUN_TIMEOUT.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { open } from 'rx-amqp';
import { Pool } from 'pg';
import { BROKER_URL, rabbitmqctl } from '../integration/helpers';
import { TcpProxy } from '../support/tcp-proxy';

const ROOT = resolve(__dirname, '../..');
const TSX_CLI = require.resolve('tsx/cli', { paths: [ROOT] });
const RUN_TIMEOUT = 30000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Names the examples printed (queues, exchanges), checked for leftovers at the end. */
const declared = new Set<string>();
const NAME_PATTERN =
  /\b(?:hello|task_queue|rpc_queue)\.[0-9a-f]{8}\b|\brx-amqp\.(?:demo|example)\.[0-9a-f]{8}(?:\.[\w-]+)?/g;

/** PostgreSQL of the recipes (trust auth on this machine and in CI). */
const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Spawns a node process running `args` (a script and its arguments) from the repository root. */
function spawnNode(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, AMQP_URL: BROKER_URL, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Collects a child's output until it exits (killed after `timeout`). */
function finish(
  child: ReturnType<typeof spawnNode>,
  what: string,
  timeout = RUN_TIMEOUT,
  onStdout?: (text: string) => void,
): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      onStdout?.(stdout);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      for (const name of stdout.match(NAME_PATTERN) ?? []) declared.add(name);
      if (signal === 'SIGKILL')
        reject(new Error(`${what} did not finish within ${timeout} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
      else resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

/** Runs `examples/NAME.ts` with tsx. */
function runExample(name: string, args: string[] = [], env: NodeJS.ProcessEnv = {}, onStdout?: (text: string) => void) {
  const child = spawnNode(
    [TSX_CLI, '--tsconfig', join(ROOT, 'tsconfig.json'), join(ROOT, 'examples', `${name}.ts`), ...args],
    env,
  );
  return { child, done: finish(child, `example ${name}`, RUN_TIMEOUT, onStdout) };
}

/** Runs an example and expects a clean exit: code 0 and nothing on stderr. */
async function runOk(name: string, args: string[] = []): Promise<string> {
  const run = await runExample(name, args).done;
  const detail = `example ${name} ${args.join(' ')}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
  if (run.code !== 0 || run.stderr.trim() !== '')
    throw new Error(`expected exit code 0 and no stderr, got ${run.code}: ${detail}`);
  return run.stdout;
}

/** Lines of `out` matching `pattern`. */
function linesMatching(out: string, pattern: RegExp): string[] {
  return out.split('\n').filter((l) => pattern.test(l));
}

const unique = (what: string) => `rx-amqp.example.${randomBytes(4).toString('hex')}.${what}`;

/** Every example has a check here; a new file in examples/ without one fails the first test. */
const checked = new Set<string>();
function example(name: string, fn: () => Promise<void>, timeout = 2 * RUN_TIMEOUT): void {
  checked.add(name);
  test.concurrent(name, fn, timeout);
}

describe('examples', () => {
  test('every example in examples/ is run by this spec', () => {
    const files = readdirSync(join(ROOT, 'examples'))
      .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
      .map((f) => f.slice(0, -3));
    expect(files.filter((f) => !checked.has(f))).toEqual([]);
    expect([...checked].filter((c) => !files.includes(c))).toEqual([]);
  });

  // ---- the classic py-amqplib usages --------------------------------------------------------

  example('connect', async () => {
    const out = await runOk('connect');
    expect(out).toMatch(/^1\. open\(\): connected to RabbitMQ \S+ over AMQP 0-9-1$/m);
    expect(out).toMatch(/^2\. open\('amqp:\/\/[^']*\?heartbeat=10&channel_max=100'\): connected/m);
    expect(out).not.toContain('guest:guest'); // the password is redacted
    expect(out).toContain('channelMax=100 frameMax=131072 heartbeat=10s');
    expect(out).toContain('channelMax=16 frameMax=65536 heartbeat=30s');
    expect(out).toContain('closed explicitly; state=closed');
    expect(out).toContain('closed by unsubscribing; error=none');
    expect(out).toContain('done: 4 connections opened and closed');
  });

  example('channels', async () => {
    const out = await runOk('channels');
    expect(out).toContain('channel(1) twice: same channel? true (id 1)');
    expect(out).toContain('channel() without an id: got channel 2; closed again by unsubscribing: true');
    expect(out).toContain('after one of two unsubscribed: channel 1 open? true');
    expect(out).toContain('after both unsubscribed: channel 1 open? false');
    expect(out).toContain('openChannel(5): channel 5 open? true');
    expect(out).toContain('left the block: channel 5 closed by `await using`');
    expect(out).toContain('connect().pipe(openChannel({ id: 7 })): got channel 7');
    expect(out).toContain('and closed it with its connection by unsubscribing: true');
    expect(out).toMatch(/^done$/m);
  });

  example('access-ticket', async () => {
    const out = await runOk('access-ticket');
    expect(out).toContain('connected with AMQP 0-8');
    expect(out).toMatch(/access\.request\('\/data'\) granted ticket (\d+); channel\.ticket = \1$/m);
    expect(out).toContain("basic.get with the ticket: 'sent with a ticket'");
    expect(out).toMatch(/^pipeline: ticket \d+, queue amq\.gen-/m);
    expect(out).toContain('confirmSelect() in 0-8: UnsupportedError');
  });

  example('messages', async () => {
    const out = await runOk('messages');
    expect(out).toContain("message 1: 5 bytes, text 'hello'");
    expect(out).toContain("message 2: 54 bytes, text 'Unicode: ☃ snowman, ✓ check, 日本語, emoji 🐇'");
    expect(out).toContain('"contentEncoding":"UTF-8"');
    expect(out).toContain(
      'headers: {"foo":7,"bar":"baz","pi":3.14,"yes":true,"when":"2024-01-02T03:04:05.000Z","list":[1,"two",false],"nested":{"a":1,"b":"deux"},"nothing":null}',
    );
    expect(out).toContain('"correlationId":"corr-42"');
    expect(out).toContain('json(): {"hello":"world","n":[1,2,3]}');
    expect(out).toContain('done: 4 messages round-tripped');
  });

  example('default-exchanges', async () => {
    const out = await runOk('default-exchanges');
    expect(linesMatching(out, /routed and confirmed$/)).toHaveLength(4);
    expect(linesMatching(out, /returned \(312 NO_ROUTE\)$/)).toHaveLength(2);
    for (const exchange of ['(default)', 'amq.direct', 'amq.fanout', 'amq.topic'])
      expect(out).toContain(`received from exchange '${exchange}'`);
    expect(out).toContain('done: 6 published, 4 received, 2 returned');
  });

  example('own-exchange', async () => {
    const out = await runOk('own-exchange', ['--type', 'topic']);
    expect(out).toMatch(/^declared topic exchange 'rx-amqp\.example\.[0-9a-f]{8}\.orders'/m);
    expect(linesMatching(out, /^ {2}received 'order #\d'/)).toHaveLength(3);
    expect(out).toContain('deleted queue and exchange after 3 messages');
    expect(out).toContain("passive declare of 'amq.topic': exists");
    expect(out).toContain('passive declare of the deleted exchange: 404 NOT_FOUND; channel 1 closed');
    expect(out).toContain('the connection lives on: open? true');
  });

  example('server-named-queue', async () => {
    const out = await runOk('server-named-queue', ['--count', '4']);
    const named = /the server named the queue '(amq\.gen-[\w-]+)' \(channel\.lastQueue\)/.exec(out);
    expect(named).not.toBeNull();
    expect(out).toContain('bound it to amq.fanout; publishing 4 messages there');
    expect(linesMatching(out, /^received \d\/4: 'fanout message \d' from amq\.fanout/)).toHaveLength(4);
    expect(out).toMatch(/^done: /m);
  });

  example('basic-get', async () => {
    const out = await runOk('basic-get', ['--count', '4']);
    expect(out).toContain("got 'job 1' (delivery tag 1, 3 left in the queue)");
    expect(out).toContain("got 'job 4' (delivery tag 4, 0 left in the queue)");
    expect(out).toContain('polled 4 messages; one more get: null (queue empty)');
  });

  example('consumer-cancel', async () => {
    const out = await runOk('consumer-cancel');
    expect(out).toMatch(
      /^consuming as 'rx-amqp-example-[0-9a-f]{8}'; live consumers: \["rx-amqp-example-[0-9a-f]{8}"\]$/m,
    );
    expect(out).toMatch(
      /basicCancel\('rx-amqp-example-[0-9a-f]{8}'\): the stream completed after 2 messages; live consumers: \[\]$/m,
    );
    expect(out).toMatch(
      /consumer amq\.ctag-\S+ got 'three' and unsubscribed \(basic\.cancel\); live consumers: \[\]$/m,
    );
    expect(out).toContain('published 2 more (confirmed): 2 waiting in the queue, 0 consumers');
  });

  example('demo-send', async () => {
    // Without a message: usage, exit code 1.
    const usage = await runExample('demo-send').done;
    expect(usage.code).toBe(1);
    expect(usage.stderr).toContain('usage: demo-send');
    // Nobody bound to the exchange: the mandatory message comes back, reported plainly.
    const exchange = unique('myfan');
    const lost = await runExample('demo-send', ['--exchange', exchange, 'into', 'the', 'void']).done;
    expect(lost.code).toBe(1);
    expect(lost.stderr).toContain(`'into the void' was not delivered: no queue is bound to '${exchange}'`);
    expect(lost.stderr).not.toMatch(/^\s+at /m);
    // An auto-delete exchange that was never bound is never deleted by the broker: do it here.
    await using connection = await open(BROKER_URL);
    await using channel = await connection.openChannel();
    await firstValueFrom(channel.exchangeDelete(exchange), { defaultValue: undefined });
  });

  example('demo-receive', async () => {
    // demo_receive waits for messages until "quit"; demo_send sends them.
    const exchange = unique('myfan');
    let ready!: () => void;
    const waiting = new Promise<void>((r) => (ready = r));
    const receiver = runExample('demo-receive', ['--exchange', exchange, '--timeout', '25'], {}, (out) => {
      if (out.includes('send "quit" to stop')) ready();
    });
    await Promise.race([waiting, receiver.done]);
    expect(await runOk('demo-send', ['--exchange', exchange, 'hello', 'from', 'the', 'spec'])).toContain(
      `sent 'hello from the spec' to exchange '${exchange}' (confirmed: true)`,
    );
    expect(await runOk('demo-send', ['--exchange', exchange, 'quit'])).toContain(`sent 'quit'`);
    const run = await receiver.done;
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^hello from the spec$/m);
    expect(run.stdout).toMatch(/^quit$/m);
    expect(run.stdout).toContain('contentType: "text/plain"');
    expect(run.stdout).toContain('headers: {"foo":7,"bar":"baz"}');
    expect(run.stdout).toContain(`> exchange: ${exchange}`);
    expect(run.stdout).toContain('stopped cleanly after 2 messages');
  });

  example('amqp-clock', async () => {
    const exchange = unique('clock');
    const out = await runOk('amqp-clock', ['--ticks', '3', '--interval', '200', '--listen', '--exchange', exchange]);
    const ticks = linesMatching(
      out,
      /^tick: published '\d{4}-\d\d-\d\dT[\d:.]+Z' with key \d{4}\.\d\d\.\d\d\.\d\.\d\d\.\d\d\.\d\d \(confirmed\)$/,
    );
    expect(ticks).toHaveLength(3);
    expect(linesMatching(out, /^ {2}listener: got \d{4}\.\d\d\.\d\d\.\d\.\d\d\.\d\d\.\d\d -> /)).toHaveLength(3);
    expect(out).toContain('clock stopped: 3 ticks published, 3 heard by the listener');
    declared.add(exchange);
  });

  // ---- the RabbitMQ tutorials ---------------------------------------------------------------

  example('tutorial-1-hello-world', async () => {
    const out = await runOk('tutorial-1-hello-world');
    expect(out).toContain(" [x] Sent 'Hello World!'");
    expect(out).toMatch(/^ \[\*\] Waiting for messages in hello\.[0-9a-f]{8}\.$/m);
    expect(out).toContain(" [x] Received 'Hello World!'");
    // The two halves on their own, through a queue they share.
    const queue = unique('hello');
    try {
      expect(await runOk('tutorial-1-hello-world', ['--role', 'send', '--queue', queue])).toContain(
        " [x] Sent 'Hello World!'",
      );
      const received = await runOk('tutorial-1-hello-world', ['--role', 'receive', '--queue', queue]);
      expect(received).toContain(" [x] Received 'Hello World!'");
      expect(received).not.toContain('Sent');
    } finally {
      await rabbitmqctl('delete_queue', queue).catch(() => undefined);
    }
  });

  example('tutorial-2-work-queues', async () => {
    const out = await runOk('tutorial-2-work-queues', ['--tasks', '6', '--workers', '2', '--dot', '50']);
    expect(linesMatching(out, /^ \[x\] Sent 'Task \d\.+'$/)).toHaveLength(6);
    expect(linesMatching(out, /^ \[worker [AB]\] Received 'Task \d\.+'$/)).toHaveLength(6);
    expect(linesMatching(out, /^ \[worker [AB]\] Done$/)).toHaveLength(6);
    const counts = linesMatching(out, /^worker [AB] did \d+ tasks?$/).map((l) => Number(/did (\d+)/.exec(l)![1]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(6);
    expect(out).toMatch(/^deleted task_queue\.[0-9a-f]{8}$/m);
    expect(out).toMatch(/^done: 6 tasks in \d+ ms$/m);
  });

  example('tutorial-3-publish-subscribe', async () => {
    const out = await runOk('tutorial-3-publish-subscribe', ['--count', '3', '--receivers', '2']);
    expect(linesMatching(out, /^ \[receiver [12]\] Waiting for logs in amq\.gen-/)).toHaveLength(2);
    expect(linesMatching(out, /^ \[x\] Sent 'info: Hello World! #\d'$/)).toHaveLength(3);
    expect(linesMatching(out, /^ \[receiver 1\] info: Hello World! #\d$/)).toHaveLength(3);
    expect(linesMatching(out, /^ \[receiver 2\] info: Hello World! #\d$/)).toHaveLength(3);
    expect(out).toContain('done: 3 sent, 6 received by 2 receivers');
  });

  example('tutorial-4-routing', async () => {
    const out = await runOk('tutorial-4-routing');
    expect(linesMatching(out, /^ \[errors-to-disk\] error: /)).toHaveLength(2);
    expect(linesMatching(out, /^ \[errors-to-disk\] (info|warning|debug):/)).toHaveLength(0);
    expect(linesMatching(out, /^ \[console\] (info|warning|error): /)).toHaveLength(5);
    expect(linesMatching(out, /^ \[console\] debug:/)).toHaveLength(0);
    expect(out).toContain(" [x] Sent debug: 'x = 42'");
    expect(out).toContain('done: 6 sent, 7 received');
  });

  example('tutorial-5-topics', async () => {
    const out = await runOk('tutorial-5-topics');
    expect(linesMatching(out, /^ \[all\] \S+: /)).toHaveLength(5);
    expect(linesMatching(out, /^ \[kernel\] kern\.\w+: /)).toHaveLength(2);
    expect(linesMatching(out, /^ \[critical\] \w+\.critical: /)).toHaveLength(2);
    expect(out).toContain('done: 5 sent, 9 received');
  });

  example('tutorial-6-rpc', async () => {
    const out = await runOk('tutorial-6-rpc', ['--n', '20', '--calls', '4']);
    expect(out).toMatch(/^ \[x\] Awaiting RPC requests on rpc_queue\.[0-9a-f]{8}$/m);
    expect(out).toContain(' [.] fib(20)');
    for (const [k, v] of [
      [5, 5],
      [10, 55],
      [15, 610],
      [20, 6765],
    ])
      expect(out).toContain(` [.] Got fib(${k}) = ${v}`);
    expect(out).toContain('done: 4 calls answered, 0 wrong');
  });

  example('tutorial-7-publisher-confirms', async () => {
    const out = await runOk('tutorial-7-publisher-confirms', ['--count', '300']);
    for (const label of ['one at a time (window 1)', 'in batches (window 100)', 'async (window 1000)']) {
      expect(out).toMatch(
        new RegExp(
          `^${label.replace(/[()]/g, '\\$&')} +300 messages in +\\d+ ms \\(\\d+ msg/s\\): \\{"confirmed":300\\}$`,
          'm',
        ),
      );
    }
    expect(out).toMatch(/^mandatory, unroutable +status 'returned' \(message returned: 312 NO_ROUTE/m);
    expect(out).toContain('queue holds 900 messages');
  });

  example('testing-without-a-broker', async () => {
    const out = await runOk('testing-without-a-broker');
    expect(out).toContain(
      'marble test passed: tasks 1 and 3 acked after their work (frames 11 and 41), task 2 nacked and requeued (frame 11)',
    );
  });

  example('observability', async () => {
    const out = await runOk('observability');
    const trees = out
      .split(/^trace [0-9a-f]{32}$/m)
      .slice(1)
      .map((t) => t.trim());
    expect(trees).toHaveLength(3);
    for (const [i, tree] of trees.entries()) {
      const lines = tree.split('\n').filter((l) => !l.startsWith('metric '));
      expect(lines.map((l) => l.replace(/ ERROR: .*/, ''))).toEqual([
        `checkout order-${i + 1} [INTERNAL]`,
        '    publish <default> [PRODUCER]',
        '      <queue> process [CONSUMER]',
        '        charge card [INTERNAL]',
      ]);
    }
    expect(trees[1]).toContain('<queue> process [CONSUMER] ERROR: card declined');
    expect(trees[0]).not.toContain('ERROR');
    expect(out).toContain('metric messaging.client.sent.messages: total 3');
    expect(out).toContain('metric rx_amqp.publish.confirmed: total 3');
    expect(out).toContain('metric rx_amqp.publish.unconfirmed: total 0');
    expect(out).toContain('metric messaging.client.consumed.messages: total 3');
    expect(out).toContain('metric messaging.process.duration: recorded 3');
  });

  // ---- recipes: what services do with the streams --------------------------------------------

  example('batch-to-postgres', async () => {
    const id = randomBytes(4).toString('hex');
    const table = `rx_amqp_spec_${id}`;
    const queue = unique('to-postgres');
    const pool = new Pool({ connectionString: PG_URL, max: 1 });
    // The example talks to the broker through a proxy that breaks its connection (RST)
    // once the second batch is stored: mid-stream, at once, whatever the machine's load.
    const broker = new URL(BROKER_URL);
    const proxy = await TcpProxy.start({ host: broker.hostname, port: Number(broker.port || 5672) });
    try {
      let resets = 0;
      const args = [
        '--count',
        '400',
        '--batch',
        '20',
        '--work',
        '20',
        '--table',
        table,
        '--queue',
        queue,
        '--keep-table',
      ];
      const { done } = runExample('batch-to-postgres', args, { PG_URL, AMQP_URL: proxy.url() }, (out) => {
        if (resets === 0 && /^batch 2:/m.test(out)) resets = proxy.reset();
      });
      const run = await done;
      if (run.code !== 0 || run.stderr !== '')
        throw new Error(`exit code ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
      expect(resets).toBe(1);
      // The connection broke mid-stream, and consumption resumed on a new connection.
      expect(linesMatching(run.stdout, /^connection lost \(.+\); reconnecting$/).length).toBe(1);
      expect(linesMatching(run.stdout, /^connection open$/).length).toBe(2);
      const redeliveries = Number(/, (\d+) redeliveries$/m.exec(run.stdout)?.[1]);
      expect(redeliveries).toBeGreaterThan(0);
      expect(run.stdout).toContain(`table ${table}: 400 rows, 400 distinct message ids (expected 400)`);
      expect(run.stdout).toContain(`queue ${queue} was empty: deleted`);
      // Checked here too, in the database itself: every message exactly once.
      const { rows } = await pool.query<{ rows: string; ids: string; lo: number; hi: number }>(
        `SELECT count(*) AS rows, count(DISTINCT message_id) AS ids, min(substr(message_id, 5)::int) AS lo, max(substr(message_id, 5)::int) AS hi FROM ${table}`,
      );
      expect(rows[0]).toEqual({ rows: '400', ids: '400', lo: 0, hi: 399 });
    } finally {
      await proxy.close();
      await pool.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      await pool.end();
    }
  });

  example('relay-with-confirms', async () => {
    // Through a proxy that cuts (FIN) every connection once 20% are relayed: mid-stream.
    const broker = new URL(BROKER_URL);
    const proxy = await TcpProxy.start({ host: broker.hostname, port: Number(broker.port || 5672) });
    try {
      let cut = 0;
      const { done } = runExample(
        'relay-with-confirms',
        ['--count', '600', '--concurrency', '50', '--work', '5'],
        { AMQP_URL: proxy.url() },
        (out) => {
          if (cut === 0 && /^relayed 120$/m.test(out)) cut = proxy.cut();
        },
      );
      const run = await done;
      if (run.code !== 0 || run.stderr !== '')
        throw new Error(`exit code ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
      expect(cut).toBeGreaterThan(0);
      expect(linesMatching(run.stdout, /^connection lost \(.+\); reconnecting$/).length).toBe(1);
      expect(linesMatching(run.stdout, /^connection open$/).length).toBe(2);
      // At least once into B; nothing left unacked in A (its if-empty delete succeeded).
      expect(run.stdout).toMatch(/^B received 600 of 600 distinct messages \(\d+ duplicates\)$/m);
      expect(run.stdout).toMatch(/^queue rx-amqp\.example\.[0-9a-f]{8}\.relay-in was empty: deleted$/m);
      expect(run.stdout).toMatch(/^relay drained: \d+ relayed and acked, \d+ republished after a channel loss$/m);
    } finally {
      await proxy.close();
    }
  });

  example('graceful-shutdown', async () => {
    // SIGTERM once three jobs are done (each takes 200 ms, three at once, prefetch 5): a drain
    // with handlers in flight and deliveries waiting in hand.
    let signalled = false;
    const { child, done } = runExample('graceful-shutdown', ['--jobs', '40'], {}, (out) => {
      if (!signalled && linesMatching(out, /^done job \d+$/).length >= 3) signalled = child.kill('SIGTERM');
    });
    const run = await done;
    if (run.code !== 0 || run.stderr !== '')
      throw new Error(`exit code ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
    expect(signalled).toBe(true);
    expect(run.stdout).toMatch(/^stopping \(SIGTERM\): no new jobs; finishing the ones in hand$/m);
    const doneJobs = linesMatching(run.stdout, /^done job \d+$/);
    expect(new Set(doneJobs).size).toBe(doneJobs.length); // nothing handled twice
    const summary = /^handled (\d+) jobs, each acked; (\d+) still queued; (\d+) of 40 accounted for$/m.exec(run.stdout);
    expect(summary).not.toBeNull();
    const [handled, left, total] = summary!.slice(1).map(Number);
    expect(handled).toBe(doneJobs.length);
    expect(total).toBe(40);
    expect(handled).toBeGreaterThanOrEqual(3);
    expect(left).toBeGreaterThan(0); // stopped mid-way: the rest stayed queued
  });

  example('joining-streams', async () => {
    const out = await runOk('joining-streams', ['--readings', '60', '--window', '200']);
    expect(out).toMatch(/^config v1: readings in °C$/m);
    expect(out).toMatch(/^config v2: readings in °F$/m);
    // Each summary holds readings of one config: 30 in °C (20..26), then 30 in °F (68..78.8).
    const summaries = linesMatching(out, /^summary sensor\.[abc]: /).map((l) => {
      const m =
        /^summary (sensor\.[abc]): (\d+) readings, mean ([\d.]+) (°[CF]), min ([\d.]+), max ([\d.]+) \(config v(\d)\)$/.exec(
          l,
        );
      if (!m) throw new Error(`unexpected summary line: ${l}`);
      return {
        sensor: m[1],
        count: Number(m[2]),
        unit: m[4],
        min: Number(m[5]),
        max: Number(m[6]),
        version: Number(m[7]),
      };
    });
    const byVersion = (v: number) => summaries.filter((x) => x.version === v);
    expect(byVersion(1).reduce((n, x) => n + x.count, 0)).toBe(30);
    expect(byVersion(2).reduce((n, x) => n + x.count, 0)).toBe(30);
    expect(byVersion(1).every((x) => x.unit === '°C' && x.min >= 20 && x.max <= 26)).toBe(true);
    expect(byVersion(2).every((x) => x.unit === '°F' && x.min >= 68 && x.max <= 78.8)).toBe(true);
    expect(new Set(summaries.map((x) => x.sensor))).toEqual(new Set(['sensor.a', 'sensor.b', 'sensor.c']));
    expect(out).toContain('every reading summarised: 60 of 60');
    expect(out).toContain(`summaries queue holds ${summaries.length} summaries`);
    expect(out).toContain('readings queue was empty: deleted');
  });

  // ---- the demo -----------------------------------------------------------------------------

  example('demo', async () => {
    const out = await runOk('demo', ['--count', '2000']);
    expect(out).toMatch(/^connected to RabbitMQ \S+ at amqp:\/\/guest:\*\*\*@/m);
    const progress = linesMatching(out, /^\[ *\d+%\] confirmed \d+ \| consumed \d+, acked \d+ \| [\d.]+ s$/);
    expect(progress.length).toBe(10);
    expect(progress[progress.length - 1]).toMatch(/^\[100%\] confirmed \d+ \| consumed 2000, acked 2000/);
    expect(out).toContain('published 2000, confirmed 2000');
    expect(out).toContain('consumed  2000, acked 2000, in order');
    expect(out).toMatch(/elapsed +[\d.]+ s, \d+ msg\/s end to end/);
  });

  test.concurrent('demo without a broker: a clear message, no stack trace, non-zero exit', async () => {
    const run = await runExample('demo', ['--count', '10'], { AMQP_URL: 'amqp://guest:guest@127.0.0.1:1' }).done;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('No AMQP broker answered at amqp://guest:***@127.0.0.1:1');
    expect(run.stderr).toContain('ECONNREFUSED');
    expect(run.stderr).toContain('rabbitmq-server -detached');
    expect(run.stderr).toContain('docker run -d -p 5672:5672 rabbitmq:3');
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  // ---- the runner ---------------------------------------------------------------------------

  test.concurrent('npm run example: lists the examples without a name or with an unknown one; runs one by prefix', async () => {
    const runner = join(ROOT, 'scripts', 'example.mjs');
    const bare = await finish(spawnNode([runner]), 'runner');
    expect(bare.code).toBe(1);
    expect(bare.stdout).toContain('usage: npm run example -- NAME [args...]');
    for (const name of checked) expect(bare.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    const unknown = await finish(spawnNode([runner, 'no-such-example']), 'runner');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no example 'no-such-example'");
    expect(unknown.stderr).toContain('tutorial-6-rpc');
    const ambiguous = await finish(spawnNode([runner, 'tutorial']), 'runner');
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toContain("'tutorial' is ambiguous");
    const byPrefix = await finish(spawnNode([runner, 'basic-g', '--count', '1']), 'runner');
    expect(byPrefix.code).toBe(0);
    expect(byPrefix.stdout).toContain('polled 1 messages; one more get: null (queue empty)');
  });

  afterAll(async () => {
    // Nothing the examples declared is left on the broker (auto-delete and exclusive queues
    // go shortly after their connection closes).
    if (declared.size === 0) return;
    let left: string[] = [];
    const deadline = Date.now() + 15000;
    do {
      const queues = await rabbitmqctl('list_queues', '--no-table-headers', 'name');
      const exchanges = await rabbitmqctl('list_exchanges', '--no-table-headers', 'name');
      left = `${queues}\n${exchanges}`
        .split('\n')
        .map((l) => l.trim())
        .filter((n) => declared.has(n));
      if (left.length === 0) return;
      await new Promise((r) => setTimeout(r, 500));
    } while (Date.now() < deadline);
    throw new Error(`the examples left these on the broker: ${left.join(', ')}`);
  }, 30000);
});

/**
 * Soak test (`npm run soak`, which runs this compiled, in plain node: see launch.ts; not part
 * of `npm test`): one million messages through
 * publishTo -> broker -> consume -> ackAfter, on a throwaway RabbitMQ node started here, with
 * both connections closed by the broker (`rabbitmqctl close_connection`) every 100k confirmed
 * messages. Checks that every confirmed message is consumed (at least once) and that the
 * process's RSS stays under 150 MB; prints the figures. Exit code 1 when a check fails.
 *
 *   SOAK_TOTAL=1000000 SOAK_CLOSE_EVERY=100000 SOAK_RSS_LIMIT_MB=150 npm run soak
 *   SOAK_NODE_OPTIONS=--expose-gc npm run soak   # also print the heap retained after a GC
 */
import { Observable, map, of, shareReplay, Subscription } from 'rxjs';
import {
  ackAfter,
  connect,
  consume,
  declareQueue,
  Message,
  open,
  openChannel,
  publishTo,
  type ConnectionStatus,
} from 'rx-amqp';
import { BrokerNode } from '../support/broker-node';

const TOTAL = Number(process.env.SOAK_TOTAL ?? 1_000_000);
const CLOSE_EVERY = Number(process.env.SOAK_CLOSE_EVERY ?? 100_000);
const RSS_LIMIT = Number(process.env.SOAK_RSS_LIMIT_MB ?? 150) * 1024 * 1024;
const WINDOW = 1000;
const MB = 1024 * 1024;

function memoryLine(): string {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const retained = gc ? `, retained after gc ${(process.memoryUsage().heapUsed / MB).toFixed(1)} MB` : '';
  const m = process.memoryUsage();
  const f = (n: number) => (n / MB).toFixed(1);
  return `rss ${f(m.rss)} MB, heap ${f(m.heapUsed)}/${f(m.heapTotal)} MB, external ${f(m.external)} MB (buffers ${f(m.arrayBuffers)} MB)${retained}`;
}

function log(line: string): void {
  process.stdout.write(`[soak ${(performance.now() / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
}

/**
 * The inputs 0..TOTAL-1, offered only as fast as they are settled: at most `ahead` inputs
 * beyond the last result (RxJS sources push; a source that pushed a million values at once
 * would put a million pending messages in memory, whatever the publisher does).
 */
function demandDriven(ahead: number): { source: Observable<number>; settled(): void } {
  let next = 0;
  let done = 0;
  let pump: (() => void) | null = null;
  let scheduled = false;
  const source = new Observable<number>((subscriber) => {
    pump = () => {
      scheduled = false;
      while (next < TOTAL && next - done < ahead && !subscriber.closed) subscriber.next(next++);
      if (next === TOTAL) subscriber.complete();
    };
    pump();
    return () => (pump = null);
  });
  return {
    source,
    settled: () => {
      done++;
      if (!scheduled && pump) {
        scheduled = true;
        queueMicrotask(() => pump?.());
      }
    },
  };
}

async function main(): Promise<number> {
  const base = process.memoryUsage();
  log(
    `baseline: rss ${(base.rss / MB).toFixed(1)} MB, heap used ${(base.heapUsed / MB).toFixed(1)} MB (the process as loaded)`,
  );
  log(`starting a throwaway RabbitMQ node (${TOTAL} messages, a forced close every ${CLOSE_EVERY})`);
  const node = await BrokerNode.start();
  const failures: string[] = [];
  const subscriptions = new Subscription();
  try {
    const queue = `soak-${process.pid}`;
    const name = `rx-amqp-soak-${process.pid}`;
    // Only the states: an 'open' status holds its Connection, which must be free to go.
    const states: string[] = [];
    const status = { next: (s: ConnectionStatus) => states.push(s.state) };
    const reconnect = { initialDelay: 50, maxDelay: 1000 };

    // RSS, sampled.
    let rssPeak = 0;
    let heapPeak = 0;
    const sample = () => {
      const m = process.memoryUsage();
      rssPeak = Math.max(rssPeak, m.rss);
      heapPeak = Math.max(heapPeak, m.heapUsed);
    };
    const sampler = setInterval(sample, 50);
    subscriptions.add(() => clearInterval(sampler));

    // Consumer: every id seen (1 byte each), redeliveries counted.
    const seen = new Uint8Array(TOTAL);
    let consumed = 0;
    let distinct = 0;
    let redelivered = 0;
    subscriptions.add(
      connect({ url: node.url, connectionName: name, reconnect, status })
        .pipe(
          openChannel({ prefetch: 1000 }),
          declareQueue(queue, { durable: true }),
          consume(queue),
          ackAfter(
            (d) => {
              const id = Number(d.text);
              consumed++;
              if (d.redelivered) redelivered++;
              if (!seen[id]) {
                seen[id] = 1;
                distinct++;
              }
              return of(id);
            },
            { concurrency: 100 },
          ),
        )
        .subscribe({ error: (e) => failures.push(`consumer failed: ${e}`) }),
    );

    // Publisher: demand-driven source, confirms, republish after each forced close.
    const channel$ = connect({ url: node.url, connectionName: name, reconnect, status }).pipe(
      openChannel({ confirm: true }),
      declareQueue(queue, { durable: true }),
      shareReplay({ bufferSize: 1, refCount: true }),
    );
    const input = demandDriven(WINDOW * 2);
    let confirmed = 0;
    let notOk = 0;
    let republished = 0;
    let forcedCloses = 0;
    let nextClose = CLOSE_EVERY;
    const closing: Array<Promise<void>> = [];
    const started = performance.now();
    let publishMs = 0;
    const published = new Promise<void>((resolve, reject) => {
      subscriptions.add(
        input.source
          .pipe(
            map((i) => new Message(String(i), { messageId: String(i) })),
            publishTo(channel$, '', queue, { window: WINDOW }),
          )
          .subscribe({
            next: (r) => {
              if (r.status === 'confirmed') confirmed++;
              else notOk++;
              if (r.attempts > 1) republished++;
              input.settled();
              if (confirmed >= nextClose && nextClose < TOTAL) {
                nextClose += CLOSE_EVERY;
                const round = closing.length + 1;
                const at = confirmed;
                closing.push(
                  node.closeConnections(name, 'soak: forced close').then((n) => {
                    forcedCloses += n;
                    log(
                      `forced close #${round} at ${at} confirmed: ${n} connections closed (now confirmed ${confirmed}, consumed ${consumed}; ${memoryLine()})`,
                    );
                  }),
                );
              }
            },
            error: reject,
            complete: () => {
              publishMs = performance.now() - started;
              resolve();
            },
          }),
      );
    });
    await published;
    log(
      `published: ${confirmed} confirmed, ${notOk} not ok, ${republished} republished, in ${(publishMs / 1000).toFixed(1)} s`,
    );
    await Promise.all(closing);

    // Wait until the consumer has every message, then until the queue is drained.
    const deadline = Date.now() + 120_000;
    while (distinct < TOTAL && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    let depth: number | undefined;
    while (Date.now() < deadline) {
      depth = await node.queueDepth(queue);
      if (depth === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const totalMs = performance.now() - started;
    sample();
    subscriptions.unsubscribe();

    const lost = TOTAL - distinct;
    const disconnects = states.filter((s) => s === 'disconnected').length;
    log('---- figures ----');
    log(`messages: ${TOTAL}, confirmed ${confirmed}, not confirmed ${notOk}, republished ${republished}`);
    log(
      `consumed: ${consumed} deliveries, ${distinct} distinct, ${consumed - distinct} duplicates, ${redelivered} flagged redelivered`,
    );
    log(`forced closes: ${closing.length} rounds, ${forcedCloses} connections; client saw ${disconnects} disconnects`);
    log(`lost (confirmed, never consumed): ${lost}; left in queue: ${depth}`);
    log(
      `time: publishing ${(publishMs / 1000).toFixed(1)} s (${Math.round(TOTAL / (publishMs / 1000))} msg/s), end to end ${(totalMs / 1000).toFixed(1)} s`,
    );
    log(
      `memory: peak RSS ${(rssPeak / MB).toFixed(1)} MB (limit ${RSS_LIMIT / MB}), peak heap used ${(heapPeak / MB).toFixed(1)} MB`,
    );

    if (notOk > 0) failures.push(`${notOk} messages were not confirmed`);
    if (lost > 0) failures.push(`${lost} confirmed messages were never consumed`);
    if (depth !== 0) failures.push(`the queue still holds ${depth} messages`);
    if (rssPeak >= RSS_LIMIT) failures.push(`peak RSS ${(rssPeak / MB).toFixed(1)} MB is over ${RSS_LIMIT / MB} MB`);
    if (closing.length < Math.floor((TOTAL - 1) / CLOSE_EVERY))
      failures.push(`only ${closing.length} forced closes happened`);

    const cleanup = await open({ url: node.url });
    const channel = await cleanup.openChannel();
    await new Promise<void>((resolve) =>
      channel.queueDelete(queue).subscribe({ complete: resolve, error: () => resolve() }),
    );
    await cleanup.close();
  } catch (e) {
    failures.push(`soak failed: ${(e as Error).stack ?? e}`);
  } finally {
    subscriptions.unsubscribe();
    await node.stop();
  }
  for (const f of failures) log(`FAIL: ${f}`);
  log(failures.length ? 'soak FAILED' : 'soak passed');
  return failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);

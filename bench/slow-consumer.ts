/**
 * Memory with a consumer slower than the broker: 50k messages wait in a RabbitMQ queue; a
 * pipeline consumes them with prefetch 100 and a handler that takes ~0.5 ms each (ackAfter,
 * concurrency 10). The broker could deliver far faster; prefetch must bound what the client
 * holds, so RSS and heap stay flat while the backlog drains. Prints samples and the verdict.
 *
 *   npx tsx bench/slow-consumer.ts [messages] [seconds]
 */
import { firstValueFrom, lastValueFrom, take, timer, map, count } from 'rxjs';
import { connect, open, openChannel, consume, ackAfter, Message } from 'rx-amqp';

const url = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const total = Number(process.argv[2] ?? 50_000);
const seconds = Number(process.argv[3] ?? 20);

async function main(): Promise<void> {
  const admin = await open(url);
  const ch = await admin.openChannel();
  const { queue } = await firstValueFrom(ch.queueDeclare('', { exclusive: false, autoDelete: false, durable: false }));
  await firstValueFrom(ch.confirmSelect());
  const body = Buffer.alloc(1024, 0x61);
  // Fill the queue in batches, each confirmed before the next, so filling it costs no memory.
  for (let i = 0; i < total; i += 1000) {
    for (let k = 0; k < 999; k++) ch.basicPublish(new Message(body), '', queue);
    await firstValueFrom(ch.publish(new Message(body), '', queue));
  }
  const samples: Array<{ t: number; rss: number; heap: number; processed: number }> = [];
  let processed = 0;
  const start = Date.now();
  const sampler = setInterval(() => {
    global.gc?.();
    const m = process.memoryUsage();
    samples.push({ t: (Date.now() - start) / 1000, rss: m.rss / 2 ** 20, heap: m.heapUsed / 2 ** 20, processed });
  }, 1000);
  const done = await lastValueFrom(
    connect(url).pipe(
      openChannel({ prefetch: 100 }),
      consume(queue),
      ackAfter(() => timer(5).pipe(map(() => processed++)), { concurrency: 10 }),
      take(Math.min(total, seconds * 1500)),
      count(),
    ),
  );
  clearInterval(sampler);
  const left = (await firstValueFrom(ch.queueDeclare(queue, { passive: true }))).messageCount;
  await firstValueFrom(ch.queueDelete(queue));
  await admin.close();
  for (const s of samples)
    console.log(
      `t=${s.t.toFixed(0)}s processed=${s.processed} rss=${s.rss.toFixed(1)} MB heap=${s.heap.toFixed(1)} MB`,
    );
  const tail = samples.slice(2);
  const rss = tail.map((s) => s.rss);
  const heap = tail.map((s) => s.heap);
  console.log(
    `processed ${done} while ${left} still waited in the broker; after warm-up RSS ${Math.min(...rss).toFixed(1)}–${Math.max(...rss).toFixed(1)} MB, heap ${Math.min(...heap).toFixed(1)}–${Math.max(...heap).toFixed(1)} MB`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

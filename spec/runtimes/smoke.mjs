// An integration smoke of the built package that runs unchanged under Node, Bun and Deno:
// publishTo with confirms, consume + ackAfter, basicGet, close, against a real RabbitMQ.
// It imports `rx-amqp` by its own name (the package's exports map) and prints one JSON line.
// Usage: <runtime> spec/runtimes/smoke.mjs [amqp-url]
import { firstValueFrom, from, lastValueFrom, of, take, toArray } from 'rxjs';
import { ackAfter, consume, open, publishTo } from 'rx-amqp';

const url = (globalThis.Deno?.args ?? process.argv.slice(2))[0] ?? 'amqp://guest:guest@127.0.0.1:5672';
const runtime = globalThis.Bun
  ? `bun ${Bun.version}`
  : globalThis.Deno
    ? `deno ${Deno.version.deno}`
    : `node ${process.version}`;
const name = `rx-amqp-smoke-${runtime.split(' ')[0]}-${Math.random().toString(36).slice(2, 10)}`;
const count = 20;

const connection = await open({ url, connectionName: name, connectionTimeout: 10000 });
try {
  const channel = await connection.openChannel();
  const { queue } = await firstValueFrom(channel.queueDeclare(name, { exclusive: true }));

  // Publish count + 1 messages with confirms, one result each.
  const bodies = Array.from({ length: count + 1 }, (_, i) => `message ${i}`);
  const results = await lastValueFrom(
    from(bodies).pipe(publishTo(of(channel), '', queue, { confirm: true, window: 5 }), toArray()),
  );

  // Take the first with basic.get and ack it...
  const got = await firstValueFrom(channel.basicGet(queue));
  got?.ack();

  // ...and consume the rest, acking each once its handler completed.
  const consumer = await connection.openChannel();
  const handled = await lastValueFrom(
    of(consumer).pipe(
      consume(queue),
      ackAfter((delivery) => of(delivery.text)),
      take(count),
      toArray(),
    ),
  );
  const left = await firstValueFrom(channel.queueDeclare(queue, { passive: true }));

  console.log(
    JSON.stringify({
      runtime,
      statuses: [...new Set(results.map((r) => r.status))],
      published: results.length,
      got: got?.text ?? null,
      consumed: handled,
      left: left.messageCount,
    }),
  );
} finally {
  await connection.close();
}

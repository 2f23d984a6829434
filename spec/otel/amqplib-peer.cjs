// A separate Node process running amqplib under @opentelemetry/instrumentation-amqplib (which
// patches amqplib through require hooks, so it cannot run inside jest's module system).
//   node amqplib-peer.cjs publish <url> <queue>   publishes one message inside a root span
//   node amqplib-peer.cjs consume <url> <queue>   consumes and acks one message
// Prints the finished spans as one JSON line on stdout.
'use strict';
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { AmqplibInstrumentation } = require('@opentelemetry/instrumentation-amqplib');
const api = require('@opentelemetry/api');

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();
registerInstrumentations({ instrumentations: [new AmqplibInstrumentation()] });
const amqp = require('amqplib');

function report() {
  const spans = exporter.getFinishedSpans().map((s) => ({
    name: s.name,
    kind: s.kind,
    traceId: s.spanContext().traceId,
    spanId: s.spanContext().spanId,
    parentSpanId: s.parentSpanContext ? s.parentSpanContext.spanId : undefined,
    attributes: s.attributes,
  }));
  process.stdout.write(`${JSON.stringify(spans)}\n`);
}

async function main() {
  const [mode, url, queue] = process.argv.slice(2);
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  if (mode === 'publish') {
    const tracer = api.trace.getTracer('amqplib-peer');
    await tracer.startActiveSpan('amqplib-root', async (root) => {
      ch.sendToQueue(queue, Buffer.from('from amqplib'), { messageId: 'm-amqplib' });
      root.end();
    });
    await ch.close();
  } else {
    await new Promise((resolve) => {
      ch.consume(queue, (msg) => {
        ch.ack(msg);
        resolve();
      });
    });
    await ch.close();
  }
  await conn.close();
  report();
}

main().catch((e) => {
  process.stderr.write(`${String(e?.stack ?? e)}\n`);
  process.exit(1);
});

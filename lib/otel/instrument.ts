import * as dc from 'node:diagnostics_channel';
import {
  context,
  diag,
  metrics,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Link,
  type MeterProvider,
  type Span,
  type TracerProvider,
} from '@opentelemetry/api';
import {
  CONNECTION_CHANNEL,
  PROCESS_CHANNEL,
  PUBLISH_CHANNEL,
  type ConnectionEvent,
  type PublishContext,
} from '../diagnostics/channels';
import type { ProcessContext } from '../diagnostics/process-channel';
import { MessageReturnedError, PublishNackedError } from '../channel/errors';
import { VERSION } from '../version';
import { errorType, metricAttributes, processAttributes, publishAttributes } from './attributes';
import { headerGetter, headerSetter } from './carrier';
import { createInstruments } from './instruments';

/** Options of {@link instrument}. */
export interface InstrumentOptions {
  /** Where spans go; default: the global tracer provider (`trace.setGlobalTracerProvider`). */
  tracerProvider?: TracerProvider;
  /** Where metrics go; default: the global meter provider. */
  meterProvider?: MeterProvider;
  /**
   * Attach the publisher's span context to the process span as a link instead of making it the
   * parent (the process span then starts a trace of its own). Default false: parent.
   * Same name and meaning as in `@opentelemetry/instrumentation-amqplib`.
   */
  useLinksForConsume?: boolean;
  /** Called with each PRODUCER span after it started, to add attributes. Must not throw. */
  publishHook?: (span: Span, context: PublishContext) => void;
  /** Called with each CONSUMER span after it started, to add attributes. Must not throw. */
  processHook?: (span: Span, context: ProcessContext) => void;
}

const SPAN = Symbol('rx-amqp.otel.span');
const STARTED = Symbol('rx-amqp.otel.started');
const INSTRUMENTATION = 'rx-amqp';

/** Seconds since `t0` (a `performance.now()` reading). */
function since(t0: number): number {
  return (performance.now() - t0) / 1000;
}

/** Runs a subscriber body; an exception is reported to OpenTelemetry's diag logger, never thrown into rx-amqp. */
function guarded<T>(what: string, fn: (ctx: T) => void): (ctx: T) => void {
  return (ctx) => {
    try {
      fn(ctx);
    } catch (e) {
      diag.error(`rx-amqp instrumentation: ${what} failed`, e);
    }
  };
}

/**
 * Turns rx-amqp's diagnostics channels into OpenTelemetry spans and metrics, following the
 * messaging semantic conventions:
 *
 * - a PRODUCER span `publish <exchange>` per publish (`basicPublish`, `publish`, `publishTo`),
 *   ending on the broker's confirm in confirm mode, status ERROR on a nack, a return or a
 *   failure; the W3C trace context is injected into the message headers;
 * - a CONSUMER span `<queue> process` around each `ackAfter`/`serveRpc` handler, whose parent
 *   is the context extracted from the delivery's headers (or a link to it with
 *   `useLinksForConsume`), active while the handler runs so the handler's own spans nest in it,
 *   status ERROR when the handler fails;
 * - metrics (see the README, "Observability").
 *
 * Needs only `@opentelemetry/api`; the SDK, exporters and propagators are the application's.
 * Returns `stop()`, which unsubscribes (spans already started still end).
 */
export function instrument(options: InstrumentOptions = {}): () => void {
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(INSTRUMENTATION, VERSION);
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(INSTRUMENTATION, VERSION);
  const m = createInstruments(meter);
  const useLinks = options.useLinksForConsume ?? false;

  const publish = dc.tracingChannel<unknown, PublishContext>(PUBLISH_CHANNEL);
  const process = dc.tracingChannel<unknown, ProcessContext>(PROCESS_CHANNEL);

  const publishSubscribers = {
    start: guarded<PublishContext>('publish start', (ctx) => {
      const parent = context.active();
      const span = tracer.startSpan(
        `publish ${ctx.exchange || '<default>'}`,
        { kind: SpanKind.PRODUCER, attributes: publishAttributes(ctx) },
        parent,
      );
      ctx[SPAN] = span;
      ctx[STARTED] = performance.now();
      options.publishHook?.(span, ctx);
      const properties = ctx.message.properties;
      properties.headers ??= {};
      propagation.inject(trace.setSpan(parent, span), properties.headers, headerSetter);
    }),
    end: guarded<PublishContext>('publish end', (ctx) => {
      const span = ctx[SPAN] as Span | undefined;
      if (ctx.sequence === undefined) {
        // Nothing was written (encoding failed): no settlement follows.
        span?.end();
        return;
      }
      m.published.add(1, metricAttributes(ctx.peer, 'publish', ctx.exchange));
      if (ctx.confirmMode) m.unconfirmed.add(1, metricAttributes(ctx.peer, 'publish', ctx.exchange));
    }),
    asyncStart: () => undefined,
    asyncEnd: guarded<PublishContext>('publish asyncEnd', (ctx) => {
      const span = ctx[SPAN] as Span | undefined;
      let attrs = metricAttributes(ctx.peer, 'publish', ctx.exchange);
      if (ctx.confirmMode) m.unconfirmed.add(-1, attrs);
      if (ctx.error === undefined) {
        if (ctx.confirmed) m.confirmed.add(1, attrs);
      } else {
        attrs = { ...attrs, 'error.type': errorType(ctx.error) };
        if (ctx.error instanceof PublishNackedError) m.nacked.add(1, attrs);
        else if (ctx.error instanceof MessageReturnedError) m.returned.add(1, attrs);
      }
      const t0 = ctx[STARTED] as number | undefined;
      if (t0 !== undefined) m.publishDuration.record(since(t0), attrs);
      span?.end();
    }),
    error: guarded<PublishContext>('publish error', (ctx) => {
      const span = ctx[SPAN] as Span | undefined;
      if (!span) return;
      const e = ctx.error;
      span.setAttribute('error.type', errorType(e));
      if (e instanceof Error) span.recordException(e);
      span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.message : String(e) });
    }),
  };

  const processSubscribers = {
    start: guarded<ProcessContext>('process start', (ctx) => {
      const d = ctx.delivery;
      const extracted = propagation.extract(ROOT_CONTEXT, d.properties.headers, headerGetter);
      let parent = extracted;
      let links: Link[] | undefined;
      if (useLinks) {
        const remote = trace.getSpanContext(extracted);
        links = remote ? [{ context: remote }] : undefined;
        parent = ROOT_CONTEXT;
      }
      const name = ctx.queue ? `${ctx.queue} process` : 'process';
      const span = tracer.startSpan(
        name,
        { kind: SpanKind.CONSUMER, attributes: processAttributes(ctx), links },
        parent,
      );
      ctx[SPAN] = span;
      ctx[STARTED] = performance.now();
      options.processHook?.(span, ctx);
      const active = trace.setSpan(parent, span);
      ctx.runWith = (invoke) => context.with(active, invoke);
      const attrs = metricAttributes(ctx.peer, 'process', d.exchange);
      m.consumed.add(1, attrs);
      if (d.redelivered) m.redeliveries.add(1, attrs);
    }),
    end: () => undefined,
    asyncStart: () => undefined,
    asyncEnd: guarded<ProcessContext>('process asyncEnd', (ctx) => {
      const span = ctx[SPAN] as Span | undefined;
      let attrs = metricAttributes(ctx.peer, 'process', ctx.delivery.exchange);
      if (ctx.error !== undefined) attrs = { ...attrs, 'error.type': errorType(ctx.error) };
      if (ctx.abandoned) span?.setAttribute('rx_amqp.abandoned', true);
      const t0 = ctx[STARTED] as number | undefined;
      if (t0 !== undefined) m.processDuration.record(since(t0), attrs);
      span?.end();
    }),
    error: guarded<ProcessContext>('process error', (ctx) => {
      const span = ctx[SPAN] as Span | undefined;
      if (!span) return;
      const e = ctx.error;
      span.setAttribute('error.type', errorType(e));
      if (e instanceof Error) span.recordException(e);
      span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.message : String(e) });
    }),
  };

  const onConnection = guarded<unknown>('connection event', (message) => {
    const e = message as ConnectionEvent;
    if (e.event === 'reconnect')
      m.reconnects.add(1, {
        'messaging.system': 'rabbitmq',
        'server.address': e.endpoint.hostname,
        'server.port': e.endpoint.port,
      });
    else if (e.event === 'unblocked')
      m.blocked.record(e.blockedMs / 1000, {
        'messaging.system': 'rabbitmq',
        'server.address': e.endpoint.hostname,
        'server.port': e.endpoint.port,
      });
  });

  publish.subscribe(publishSubscribers);
  process.subscribe(processSubscribers);
  dc.subscribe(CONNECTION_CHANNEL, onConnection);
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    publish.unsubscribe(publishSubscribers);
    process.unsubscribe(processSubscribers);
    dc.unsubscribe(CONNECTION_CHANNEL, onConnection);
  };
}

/**
 * Joining streams: readings enriched with the latest configuration, summarised per routing key in time windows.
 *
 * Two RxJS joins on queue streams. `withLatestFrom(config$)` enriches each reading with the
 * latest configuration, itself a stream (a fanout exchange every instance listens to through a
 * queue of its own). `groupBy(routingKey)` + `bufferTime(window)` cut each sensor's readings
 * into time windows; each window becomes one summary, published with confirms, and the
 * window's readings are acked only once the broker confirmed their summary (nacked, i.e.
 * requeued, if it refused it). A reading is never acked before what it contributed to is safe.
 *
 * Here: readings of three sensors (routing keys `sensor.a`, `.b`, `.c`) in Celsius, then a new
 * configuration (Fahrenheit), then more readings; the summaries go to a topic exchange with a
 * queue bound, and the run ends once every reading is in a confirmed summary.
 *
 *   npm run example -- joining-streams --readings 60 --window 200
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  bufferTime,
  delay,
  filter,
  firstValueFrom,
  groupBy,
  lastValueFrom,
  map,
  mergeMap,
  range,
  ReplaySubject,
  shareReplay,
  startWith,
  Subject,
  take,
  takeUntil,
  tap,
  toArray,
  withLatestFrom,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import {
  ackEach,
  bindQueue,
  connect,
  consume,
  declareExchange,
  declareQueue,
  Message,
  open,
  openChannel,
  publishTo,
  type Channel,
  type Delivery,
} from 'rx-amqp';

/** The configuration readings are interpreted with. */
export interface Config {
  version: number;
  unit: '°C' | '°F';
}

/** What one time window of one sensor sums up to. */
export interface Summary {
  sensor: string;
  count: number;
  mean: number;
  min: number;
  max: number;
  unit: string;
  configVersion: number;
}

/** A reading joined with the configuration current when it arrived. */
interface Enriched {
  delivery: Delivery;
  value: number;
  config: Config;
}

/** Options of {@link summarize}. */
export interface SummarizeOptions {
  /** Queue of the readings (routing key = sensor). */
  readings: string;
  /** The configuration stream; it must emit before the first reading (start it with a default). */
  config$: Observable<Config>;
  /** Window length in ms. */
  window: number;
  /** Exchange the summaries go to (routing key `summary.<sensor>`). */
  to: string;
  /** Stops consuming when it emits; the open windows are still summarised and acked (a drain). */
  until: Observable<unknown>;
  /** Scheduler of the windows (default `asyncScheduler`). */
  scheduler?: SchedulerLike;
}

/** Reads a Celsius reading in the configured unit. */
export function convert(celsius: number, config: Config): number {
  return config.unit === '°F' ? (celsius * 9) / 5 + 32 : celsius;
}

function summaryOf(sensor: string, window: Enriched[]): Summary {
  const values = window.map((r) => r.value);
  const { config } = window[0];
  return {
    sensor,
    count: values.length,
    mean: Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 100) / 100,
    min: Math.min(...values),
    max: Math.max(...values),
    unit: config.unit,
    configVersion: config.version,
  };
}

/**
 * The pipeline: readings joined with the latest config, grouped per sensor, cut into windows;
 * one summary per window published (with confirms) on the shared `channel$`; the window's
 * readings acked after its summary is confirmed, nacked if not. Emits the confirmed summaries.
 */
export function summarize(channel$: Observable<Channel>, o: SummarizeOptions): Observable<Summary> {
  return channel$.pipe(
    consume(o.readings),
    takeUntil(o.until),
    // withLatestFrom drops what arrives before config$ first emitted: such a delivery would
    // stay unacked until its channel closes. Hence "start it with a default".
    withLatestFrom(o.config$),
    map(([delivery, config]): Enriched => ({ delivery, value: convert(Number(delivery.text), config), config })),
    // One group per sensor and configuration: a new configuration starts new windows, so a
    // summary never mixes units.
    groupBy((r) => `${r.delivery.routingKey} ${r.config.version}`),
    mergeMap((group) =>
      group.pipe(
        bufferTime(o.window, o.scheduler),
        filter((w) => w.length > 0),
        map((w) => ({ summary: summaryOf(w[0].delivery.routingKey, w), inputs: w.map((r) => r.delivery) })),
      ),
    ),
    publishTo(channel$, o.to, (w) => `summary.${w.summary.sensor}`, {
      confirm: true,
      toMessage: (w) => new Message(JSON.stringify(w.summary), { contentType: 'application/json' }),
    }),
    map((result) => {
      const { summary, inputs } = result.value;
      // Confirmed: the readings are safe in their summary. Otherwise they go back to the queue
      // (the first time; a redelivered one is dead-lettered) to be summed up again.
      for (const d of inputs) {
        if (result.ok) d.ack();
        else d.nack(!d.redelivered);
      }
      return result.ok ? summary : null;
    }),
    filter((s): s is Summary => s !== null),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: process.env.AMQP_URL ?? 'amqp://guest:guest@localhost:5672' },
      readings: { type: 'string', default: '60' },
      window: { type: 'string', default: '200' },
    },
  });
  const id = randomBytes(4).toString('hex');
  const total = Number(values.readings);
  const windowMs = Number(values.window);
  const readingsExchange = `rx-amqp.example.${id}.readings`;
  const readingsQueue = `rx-amqp.example.${id}.readings-queue`;
  const configExchange = `rx-amqp.example.${id}.config`;
  const summariesExchange = `rx-amqp.example.${id}.summaries`;
  const summariesQueue = `rx-amqp.example.${id}.summaries-queue`;
  const sensors = ['a', 'b', 'c'];

  // One channel, shared by the readings consumer, the config listener and the summary publisher.
  const channel$ = connect(values.url).pipe(
    openChannel({ prefetch: 1000, confirm: true }),
    declareExchange(readingsExchange, 'topic'),
    declareQueue(readingsQueue),
    bindQueue(readingsQueue, readingsExchange, 'sensor.*'),
    declareExchange(configExchange, 'fanout'),
    declareExchange(summariesExchange, 'topic'),
    declareQueue(summariesQueue),
    bindQueue(summariesQueue, summariesExchange, 'summary.#'),
    shareReplay({ bufferSize: 1, refCount: true }),
  );

  // The configuration: each instance hears every change through an exclusive queue of its own.
  const listening = new ReplaySubject<void>(1);
  const config$ = channel$.pipe(
    declareQueue('', { exclusive: true }),
    bindQueue('', configExchange),
    tap(() => listening.next()),
    consume(''),
    ackEach(),
    map((d) => d.json() as Config),
    startWith<Config>({ version: 1, unit: '°C' }),
    tap((c) => console.log(`config v${c.version}: readings in ${c.unit}`)),
    shareReplay({ bufferSize: 1, refCount: true }),
  );

  let summarized = 0;
  const summarized$ = new ReplaySubject<number>(1);
  const allSummarized = new Subject<void>();
  const summaries = summarize(channel$, {
    readings: readingsQueue,
    config$,
    window: windowMs,
    to: summariesExchange,
    until: allSummarized.pipe(delay(windowMs)),
  }).pipe(
    tap((s) => {
      console.log(
        `summary ${s.sensor}: ${s.count} readings, mean ${s.mean} ${s.unit}, min ${s.min}, max ${s.max} (config v${s.configVersion})`,
      );
      summarized += s.count;
      summarized$.next(summarized);
      if (summarized >= total) allSummarized.next();
    }),
  );

  // The producer, on a connection of its own: half the readings, the new config, the rest.
  const produce = async () => {
    await firstValueFrom(listening);
    await using producer = await open(values.url);
    const ch = await producer.openChannel();
    await firstValueFrom(ch.confirmSelect());
    const publishReadings = (from: number, count: number) =>
      lastValueFrom(
        range(from, count).pipe(
          map((i) => ({ sensor: sensors[i % sensors.length], celsius: 20 + (i % 7) })),
          publishTo(ch, readingsExchange, (r) => `sensor.${r.sensor}`, {
            toMessage: (r) => new Message(String(r.celsius)),
          }),
          toArray(),
        ),
      );
    const half = Math.floor(total / 2);
    await publishReadings(0, half);
    console.log(`published ${half} readings`);
    // The new configuration once the first half is summed up, so both show in the output.
    await firstValueFrom(summarized$.pipe(filter((n) => n >= half)));
    await lastValueFrom(ch.publish(new Message(JSON.stringify({ version: 2, unit: '°F' })), configExchange, ''));
    await firstValueFrom(
      config$.pipe(
        filter((c) => c.version === 2),
        take(1),
      ),
    );
    await publishReadings(half, total - half);
    console.log(`published ${total - half} readings`);
  };

  await Promise.all([produce(), lastValueFrom(summaries, { defaultValue: undefined })]);
  console.log(`every reading summarised: ${summarized} of ${total}`);

  // Every reading was acked (the if-empty delete succeeds only then); the summaries arrived.
  await using admin = await open(values.url);
  const ch = await admin.openChannel();
  const { messageCount } = await firstValueFrom(ch.queueDeclare(summariesQueue, { passive: true }));
  console.log(`summaries queue holds ${messageCount} summaries`);
  await firstValueFrom(ch.queueDelete(readingsQueue, { ifEmpty: true }));
  console.log('readings queue was empty: deleted');
  await firstValueFrom(ch.queueDelete(summariesQueue));
  for (const e of [readingsExchange, configExchange, summariesExchange]) await firstValueFrom(ch.exchangeDelete(e));
}

if (require.main === module) {
  main().catch((e: Error) => {
    console.error(`joining-streams failed: ${e.message}`);
    process.exitCode = 1;
  });
}

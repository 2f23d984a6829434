/**
 * py-amqplib's amqp_clock: the time, every second, on a topic exchange.
 *
 * Publishes the time to the topic exchange 'clock', with a routing key made from the time,
 * `year.month.day.dow.hour.minute.second` (dow: 0 = Sunday, as in crontab), e.g.
 * `2007.11.26.1.12.33.05`. A consumer binds with a pattern to pick the ticks it wants: `#.00`
 * once a minute, `*.*.*.1.#` on Mondays, `#` for all.
 *
 * The original ticked once a minute; this one ticks every second (`--interval ms`), and
 * `--ticks N` stops after N ticks (for CI). `--listen` also binds a queue with `#` and prints
 * what a consumer sees.
 *
 *   npm run example -- amqp-clock --ticks 5 --listen
 *
 * The exchange is declared auto-delete: the broker removes it once the last queue bound to it
 * is gone (a never-bound one stays until deleted).
 */
import { parseArgs } from 'node:util';
import { EMPTY, map, merge, of, ReplaySubject, shareReplay, switchMap, take, tap, timer } from 'rxjs';
import { bindQueue, connect, consume, declareExchange, declareQueue, Message, openChannel, publishTo } from 'rx-amqp';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.AMQP_URL },
    exchange: { type: 'string', default: 'clock' },
    ticks: { type: 'string' }, // default: forever
    interval: { type: 'string', default: '1000' },
    listen: { type: 'boolean', default: false },
  },
});
const exchange = values.exchange!;
const ticks = values.ticks ? Number(values.ticks) : Infinity;

const pad = (n: number) => String(n).padStart(2, '0');
/** The topic: year.month.day.dow.hour.minute.second, in UTC. */
function topicOf(t: Date): string {
  return [
    t.getUTCFullYear(),
    pad(t.getUTCMonth() + 1),
    pad(t.getUTCDate()),
    t.getUTCDay(),
    pad(t.getUTCHours()),
    pad(t.getUTCMinutes()),
    pad(t.getUTCSeconds()),
  ].join('.');
}

// One connection and channel, shared by the clock and (with --listen) the listener; it is
// closed when both are done (refCount). The replay hands the channel to late subscribers.
const channel$ = connect(values.url).pipe(
  openChannel({ confirm: true }),
  declareExchange(exchange, 'topic', { autoDelete: true }),
  shareReplay({ bufferSize: 1, refCount: true }),
);

// A consumer, as a cron-like subscriber would be: `#` takes every tick.
const listening$ = new ReplaySubject<void>(1);
const listener$ = channel$.pipe(
  declareQueue('', { exclusive: true }),
  bindQueue('', exchange, '#'),
  tap(() => listening$.next()),
  consume('', { noAck: true }),
  tap((d) => console.log(`  listener: got ${d.routingKey} -> '${d.text}'`)),
  take(ticks),
);

// The clock: ticks on whole multiples of the interval (like the original, which waited for the
// top of the minute), each published with its topic as the routing key.
const period = Number(values.interval);
const clock$ = (values.listen ? listening$.pipe(take(1)) : of(undefined)).pipe(
  switchMap(() => timer(period - (Date.now() % period), period)),
  take(ticks),
  map(() => new Date()),
  publishTo(channel$, exchange, topicOf, {
    toMessage: (t) => new Message(t.toISOString(), { contentType: 'text/plain', timestamp: t }),
  }),
  tap((r) => console.log(`tick: published '${r.message?.text}' with key ${r.routingKey} (${r.status})`)),
);

console.log(
  `clock: publishing to topic exchange '${exchange}' every ${period} ms${values.ticks ? `, ${ticks} ticks` : ' (Ctrl-C to stop)'}`,
);
let published = 0;
let heard = 0;
merge(clock$.pipe(tap(() => published++)), values.listen ? listener$.pipe(tap(() => heard++)) : EMPTY).subscribe({
  complete: () =>
    console.log(
      `clock stopped: ${published} ticks published${values.listen ? `, ${heard} heard by the listener` : ''}`,
    ),
  error: (e) => {
    console.error(e);
    process.exitCode = 1;
  },
});

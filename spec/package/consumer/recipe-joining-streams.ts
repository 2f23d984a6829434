// README "Recipes": joining streams (the snippet is verbatim; what it takes as given is declared
// here, examples/joining-streams.ts has the whole of it).
import { bufferTime, filter, groupBy, mergeMap, tap, withLatestFrom, type Observable } from 'rxjs';
import { consume, publishTo, type Channel, type Delivery, type Message } from 'rx-amqp';

interface Config {
  version: number;
  unit: 'C' | 'F';
}
type Window = Array<[Delivery, Config]>;
declare const channel$: Observable<Channel>;
declare const config$: Observable<Config>;
declare const readings: string;
declare const summaries: string;
declare const windowMs: number;
declare function sensorOf(window: Window): string;
declare function summaryOf(window: Window): Message;
declare function inputsOf(window: Window): Delivery[];

// a sketch: examples/joining-streams.ts has the whole of it
channel$.pipe(
  consume(readings),
  withLatestFrom(config$),                 // config$ = a fanout exchange's stream, startWith(default)
  groupBy(([d, config]) => `${d.routingKey} ${config.version}`),
  mergeMap((group) => group.pipe(bufferTime(windowMs), filter((w) => w.length > 0))),
  publishTo(channel$, summaries, (w) => `summary.${sensorOf(w)}`, { toMessage: summaryOf }),
  tap((r) => inputsOf(r.value).forEach((d) => (r.ok ? d.ack() : d.nack(!d.redelivered)))),
);

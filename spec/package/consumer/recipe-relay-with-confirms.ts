// README "Recipes": relay with confirms (the snippet is verbatim; what it takes as given is
// declared here, examples/relay-with-confirms.ts has the whole of it).
import { defer, map, of, shareReplay } from 'rxjs';
import { ackAfter, connect, consume, openChannel, publishTo, type Delivery, type Message } from 'rx-amqp';

declare const queueA: string;
declare const exchangeB: string;
declare function transform(delivery: Delivery): Message;

const channel$ = connect({ reconnect: true }).pipe(openChannel({ confirm: true, prefetch: 50 }), shareReplay({ bufferSize: 1, refCount: true }));
channel$.pipe(
  consume(queueA),
  ackAfter((d) => defer(() => of(transform(d))).pipe(
    publishTo(channel$, exchangeB, d.routingKey),
    map((r) => { if (!r.ok) throw r.error; return r; }),
  ), { concurrency: 50 }),
);

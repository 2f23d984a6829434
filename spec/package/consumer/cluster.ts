// README "Running on a cluster" and "Failover, step by step" (both snippets verbatim; the
// second continues the first).
import { from, shareReplay } from 'rxjs';
import { connect, openChannel, declareQueue, consume, ackAfter, publishTo, Message, type ConnectOptions } from 'rx-amqp';

const cluster: ConnectOptions = {
  hosts: ['rabbit1:5672', 'rabbit2:5672', 'rabbit3:5672'],
  reconnect: { initialDelay: 100, maxDelay: 5000 },
  heartbeat: 10,
  status: { next: (s) => console.log(s.state, 'endpoint' in s ? s.endpoint : '') },
};

// Producer: confirms, persistent messages, a replicated queue.
const channel$ = connect(cluster).pipe(
  openChannel({ confirm: true }),
  declareQueue('orders', { durable: true, type: 'quorum' }),
  shareReplay({ bufferSize: 1, refCount: true }),
);
from(orders)
  .pipe(publishTo(channel$, '', 'orders', { toMessage: (o) => Message.json(o, { deliveryMode: 2, messageId: o.id }) }))
  .subscribe((r) => r.ok || console.error('not accepted', r.status, r.value));

// Consumer: resumes on another node when its node goes.
connect(cluster)
  .pipe(
    openChannel({ prefetch: 50 }),
    declareQueue('orders', { durable: true, type: 'quorum' }),
    consume('orders'),
    ackAfter((order) => handle(order.json())), // idempotent: a message may come twice
  )
  .subscribe();

import { retry, switchMap, tap } from 'rxjs';
import { ackEach, endOnRecoverable, type StreamOffset } from 'rx-amqp';

let next: StreamOffset = 'first';
connect(cluster).pipe(
  openChannel({ prefetch: 500 }),
  switchMap((channel) => channel.basicConsume('events', { offset: next }).pipe(endOnRecoverable())),
  tap((event) => (next = Number(event.streamOffset) + 1)),
  retry({ delay: 1000 }),
  ackEach(),
);

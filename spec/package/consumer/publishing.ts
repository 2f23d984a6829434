// README "Quick start": publishing with confirms (verbatim).
import { from, shareReplay } from 'rxjs';
import { connect, openChannel, publishTo, Message } from 'rx-amqp';

const channel$ = connect().pipe(openChannel({ confirm: true }), shareReplay({ bufferSize: 1, refCount: true }));
from(orders)
  .pipe(publishTo(channel$, 'orders', (order) => `order.${order.region}`, { window: 500 }))
  .subscribe((result) => result.ok || console.error('not accepted', result.status, result.value));

export const unusedMessage: typeof Message = Message;

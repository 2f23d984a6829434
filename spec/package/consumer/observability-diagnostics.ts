// README, "Observability": a diagnostics channel subscriber.
import { tracingChannel } from 'node:diagnostics_channel';
import type { PublishContext } from 'rx-amqp';

tracingChannel<PublishContext>('rx-amqp:publish').subscribe({
  start(ctx) {
    ctx.message.properties.headers = { ...ctx.message.properties.headers, 'x-request-id': currentRequestId() };
  },
  end() {},
  asyncStart() {},
  asyncEnd() {},
  error(ctx) {
    console.warn('publish failed', ctx.error);
  },
});

import type { Observable } from 'rxjs';
import type { FieldTable } from '../protocol/field-types';
import type { ChannelCore } from './channel-core';
import type {
  BindOptions,
  ExchangeDeclareOptions,
  QueueDeclareOk,
  QueueDeclareOptions,
  TicketOption,
} from './channel-options';
import { messageCount, request, ticketed } from './channel-request';
import { queueArguments } from './queue-arguments';

// The exchange.* and queue.* methods of a channel, over its core (the Channel's members call
// these). Each notes what it declared or deleted in the connection's topology record.

/** `exchange.declare`. */
export function exchangeDeclare(
  core: ChannelCore,
  exchange: string,
  type: string,
  options: ExchangeDeclareOptions,
): Observable<void> {
  return request(core, 'exchange.declare', { ...ticketed(core, options), exchange, type }, !!options.nowait, () => {
    core.host.topology.noteDeclared('exchange', exchange);
  });
}

/** `exchange.delete`. */
export function exchangeDelete(
  core: ChannelCore,
  exchange: string,
  options: TicketOption & { ifUnused?: boolean; nowait?: boolean },
): Observable<void> {
  return request(core, 'exchange.delete', { ...ticketed(core, options), exchange }, !!options.nowait, () => {
    core.host.topology.noteDeleted('exchange', exchange);
  });
}

/** `exchange.bind` (RabbitMQ extension, 0-9-1). */
export function exchangeBind(
  core: ChannelCore,
  destination: string,
  source: string,
  routingKey: string,
  options: BindOptions,
): Observable<void> {
  const args = { ...ticketed(core, options), destination, source, routingKey };
  return request(core, 'exchange.bind', args, !!options.nowait, () => {
    core.host.topology.noteDeclared('exchange-binding', destination, source, routingKey);
  });
}

/** `exchange.unbind` (RabbitMQ extension, 0-9-1). */
export function exchangeUnbind(
  core: ChannelCore,
  destination: string,
  source: string,
  routingKey: string,
  options: BindOptions,
): Observable<void> {
  const args = { ...ticketed(core, options), destination, source, routingKey };
  return request(core, 'exchange.unbind', args, !!options.nowait, () => {
    core.host.topology.noteDeleted('exchange-binding', destination, source, routingKey);
  });
}

/** `queue.declare`; it becomes the channel's last queue (what `''` names). */
export function queueDeclare(
  core: ChannelCore,
  queue: string,
  options: QueueDeclareOptions,
): Observable<QueueDeclareOk> {
  // The encoder reads only the method's own fields; the typed features go into `arguments`.
  const args = { ...ticketed(core, options), queue, arguments: queueArguments(options, options.arguments) };
  return request(core, 'queue.declare', args, !!options.nowait, (a) => {
    const ok = options.nowait ? { queue, messageCount: 0, consumerCount: 0 } : (a as QueueDeclareOk);
    core.lastQueue = ok.queue;
    core.host.topology.noteDeclared('queue', ok.queue);
    return { queue: ok.queue, messageCount: ok.messageCount, consumerCount: ok.consumerCount };
  });
}

/** `queue.bind`. */
export function queueBind(
  core: ChannelCore,
  queue: string,
  exchange: string,
  routingKey: string,
  options: BindOptions,
): Observable<void> {
  const args = { ...ticketed(core, options), queue, exchange, routingKey };
  return request(core, 'queue.bind', args, !!options.nowait, () => {
    core.host.topology.noteDeclared('queue-binding', queue || core.lastQueue, exchange, routingKey);
  });
}

/** `queue.unbind`. */
export function queueUnbind(
  core: ChannelCore,
  queue: string,
  exchange: string,
  routingKey: string,
  options: TicketOption & { arguments?: FieldTable },
): Observable<void> {
  const args = { ...ticketed(core, options), queue, exchange, routingKey };
  return request(core, 'queue.unbind', args, false, () => {
    core.host.topology.noteDeleted('queue-binding', queue || core.lastQueue, exchange, routingKey);
  });
}

/** `queue.purge`: emits how many messages were removed. */
export function queuePurge(
  core: ChannelCore,
  queue: string,
  options: TicketOption & { nowait?: boolean },
): Observable<number> {
  return request(core, 'queue.purge', { ...ticketed(core, options), queue }, !!options.nowait, messageCount);
}

/** `queue.delete`: emits how many messages were deleted with it. */
export function queueDelete(
  core: ChannelCore,
  queue: string,
  options: TicketOption & { ifUnused?: boolean; ifEmpty?: boolean; nowait?: boolean },
): Observable<number> {
  return request(core, 'queue.delete', { ...ticketed(core, options), queue }, !!options.nowait, (a) => {
    core.host.topology.noteDeleted('queue', queue || core.lastQueue);
    return messageCount(a);
  });
}

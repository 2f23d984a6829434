import { Observable } from 'rxjs';
import type { DeliveryBase } from '../delivery';
import type { ChannelCore } from './channel-core';
import type { AccessRequestOptions, TicketOption } from './channel-options';
import { noValue, request, ticketed } from './channel-request';
import { UnsupportedError } from './errors';

// The access, basic (but consume and publish), tx, confirm and flow methods of a channel, over
// its core (the Channel's members call these).

/** `access.request`: asks for a ticket for `realm`; it becomes the channel's default ticket. */
export function accessRequest(core: ChannelCore, realm: string, options: AccessRequestOptions): Observable<number> {
  const { exclusive = false, passive = false, active = false, write = false, read = false } = options;
  return request(core, 'access.request', { realm, exclusive, passive, active, write, read }, false, (a) => {
    const ticket = (a as { ticket: number }).ticket;
    core.ticket = ticket;
    return ticket;
  });
}

/** `basic.qos`: at most `prefetchCount` unacknowledged deliveries (0: no limit). */
export function basicQos(
  core: ChannelCore,
  prefetchCount: number,
  options: { prefetchSize?: number; global?: boolean },
): Observable<void> {
  const args = { prefetchCount, prefetchSize: options.prefetchSize ?? 0, global: options.global ?? false };
  return request(core, 'basic.qos', args, false, noValue);
}

/**
 * `basic.get`: emits the next message of the queue, or null when it is empty. `D` is the
 * channel's delivery class: basic.get-ok's content is the delivery the core made with its
 * Channel's `createDelivery`.
 */
export function basicGet<D extends DeliveryBase>(
  core: ChannelCore,
  queue: string,
  options: TicketOption & { noAck?: boolean },
): Observable<D | null> {
  const args = { ...ticketed(core, options), queue, noAck: options.noAck ?? false };
  return request(core, 'basic.get', args, false, (_a, content) => (content as D | undefined) ?? null);
}

/** `basic.recover`: redeliver unacknowledged messages (requeued when `requeue`). */
export function basicRecover(core: ChannelCore, requeue: boolean): Observable<void> {
  // 0-8's basic.recover (60/100) has no reply.
  if (core.host.protocol === '0-8') return request(core, 'basic.recover-async', { requeue }, true, noValue);
  return request(core, 'basic.recover', { requeue }, false, noValue);
}

/** `tx.select`. */
export function txSelect(core: ChannelCore): Observable<void> {
  return request(core, 'tx.select', {}, false, noValue);
}

/** `tx.commit`. */
export function txCommit(core: ChannelCore): Observable<void> {
  return request(core, 'tx.commit', {}, false, noValue);
}

/** `tx.rollback`. */
export function txRollback(core: ChannelCore): Observable<void> {
  return request(core, 'tx.rollback', {}, false, noValue);
}

/** `confirm.select` (RabbitMQ extension, 0-9-1): publisher confirms from now on. */
export function confirmSelect(core: ChannelCore, options: { nowait?: boolean }): Observable<void> {
  if (core.host.protocol === '0-8') {
    return new Observable((s) => s.error(new UnsupportedError('publisher confirms do not exist in AMQP 0-8')));
  }
  return request(core, 'confirm.select', { nowait: options.nowait ?? false }, !!options.nowait, () => {
    core.confirmMode = true;
  });
}

/** `channel.flow`: asks the server to pause (false) or resume (true) deliveries. */
export function flow(core: ChannelCore, active: boolean): Observable<boolean> {
  return request(core, 'channel.flow', { active }, false, (a) => (a as { active: boolean }).active);
}

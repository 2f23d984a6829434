import type { Delivery } from '../facades';
import type { AckBatch } from './ack-batch';

/** What to do with a delivery whose processing failed. */
export type FailureAction = 'requeue' | 'reject' | 'ack';

/** A failure policy: one action for every failed delivery, or a function choosing one. */
export type FailurePolicy<C extends unknown[] = []> =
  | FailureAction
  | ((error: unknown, delivery: Delivery, ...context: C) => FailureAction);

/**
 * The default for a failed delivery: requeue a first delivery, reject (dead-letter) a
 * redelivered one, so a message that fails twice does not loop forever.
 */
export function defaultFailureAction(_error: unknown, delivery: Delivery): FailureAction {
  return delivery.redelivered ? 'reject' : 'requeue';
}

/**
 * The action `policy` chooses for `delivery`. A policy function that throws, or returns
 * something that is not an action, falls back to {@link defaultFailureAction}: a user
 * callback must never take the stream down with it.
 */
export function chooseFailureAction<C extends unknown[]>(
  policy: FailurePolicy<C>,
  error: unknown,
  delivery: Delivery,
  ...context: C
): FailureAction {
  if (typeof policy !== 'function') return policy;
  try {
    const action = policy(error, delivery, ...context);
    if (action === 'requeue' || action === 'reject' || action === 'ack') return action;
  } catch {
    // fall through to the default
  }
  return defaultFailureAction(error, delivery);
}

/**
 * Settles a failed delivery per `action`. Stream deliveries cannot be requeued or
 * dead-lettered: a failed stream message is acked (passed over) whatever the action.
 */
export function settleFailure(delivery: Delivery, action: FailureAction, acks: AckBatch): void {
  if (action === 'ack' || delivery.streamOffset !== undefined) {
    acks.ack(delivery);
    return;
  }
  // A nack must not overtake acks queued before it: they may be `multiple` acks covering it.
  acks.flush();
  delivery.nack(action === 'requeue');
}

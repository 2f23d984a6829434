import type { PublishResult } from '../channel/publish-call';
import type { Message } from '../message';

/** How one input ended. */
export type PublishStatus = 'confirmed' | 'sent' | 'nacked' | 'returned' | 'failed';

/** What every {@link PublishToResult} carries. */
export interface PublishToResultBase<T> extends PublishResult {
  /** The input value. */
  value: T;
  /** Why it is not ok: the nack, the return, the publish or callback failure. */
  error?: Error;
  /** How many times it was published (more than 1 after republishing on a new channel). */
  attempts: number;
}

/**
 * One result of {@link publishTo}, for exactly one input. `ok` (or `status`) tells the cases
 * apart. An input whose `toMessage` or routing-key function threw is `'failed'` with that
 * error and `routingKey: ''`; it has no `message` when `toMessage` threw.
 */
export type PublishToResult<T> =
  | (PublishToResultBase<T> & { status: 'confirmed' | 'sent'; ok: true; message: Message })
  | (PublishToResultBase<T> & { status: 'nacked' | 'returned'; ok: false; message: Message })
  | (PublishToResultBase<T> & { status: 'failed'; ok: false; message: Message | undefined });

import type { peerOf } from '../diagnostics/peer';
import { ChannelCore } from './channel-core';
import type { ChannelHost } from './channel-host';

// The operators, RPC and diagnostics work with the public Channel and Delivery. What they need
// beyond that is listed here, once, and reached through `internals()` / `internalsOf()`, so
// that no file outside lib/channel and lib/connection needs to name the channel's core.
// Settling stays with the delivery's own settler (`DeliverySettler`, lib/delivery.ts), which
// the testing kit implements too. Not exported from lib/index.ts.

/**
 * @internal What a channel's connection offers the operators and diagnostics: the topology
 * record (recovery detail: what the application deleted, so that the topology operators do not
 * declare it again on a new channel) and where the connection goes (for `peerOf`, which builds
 * the diagnostics' `PeerInfo` once per connection). Neither is public API.
 */
export type ConnectionInternals = Pick<ChannelHost, 'topology'> & Parameters<typeof peerOf>[0];

/**
 * @internal What the operators, RPC and diagnostics need of a channel beyond the public
 * `Channel` API. The channel's core implements it, so {@link internals} and {@link internalsOf}
 * hand out that object as it is: no adapter, nothing allocated. It is also the settler of the
 * channel's deliveries, so it identifies a channel both from the `Channel` and from a delivery
 * (the drain leases and the handler signals are keyed by it).
 *
 * `id`, `closed` and `lastQueue` are public on the Channel too; they are here for code that
 * holds only a delivery (a standalone test delivery has no `channel`).
 */
export interface ChannelInternals {
  /** The channel number (`Channel.id`). */
  readonly id: number;
  /** Resolves when the channel ends, with the error that ended it (`Channel.closed`). */
  readonly closed: Promise<Error | undefined>;
  /**
   * True once the channel has ended: the broker has requeued every delivery left unsettled on
   * it, so processing one now would only do its work twice. Not `!Channel.isOpen`, which is
   * true already while the channel closes, before the broker has let go of its deliveries.
   */
  readonly isGone: boolean;
  /** The queue last declared on the channel (`Channel.lastQueue`): what a consumer of `''` reads. */
  readonly lastQueue: string;
  /**
   * The consumers of the channel by tag, with the queue each consumes (`''`: the last declared),
   * for diagnostics' `queue`. The public `Channel.consumerTags` names the tags only.
   */
  readonly consumers: ReadonlyMap<string, { readonly queue?: string }>;
  /** The channel's connection (see {@link ConnectionInternals}). */
  readonly host: ConnectionInternals;
}

/** @internal The internals of `channel` (a `Channel`; typed by its one internal member). */
export function internals(channel: { readonly core: ChannelCore }): ChannelInternals {
  return channel.core;
}

/**
 * @internal The internals of the channel `delivery` arrived on; undefined for a delivery with
 * no channel (the testing kit's standalone `delivery()`, settled by a recording settler). One
 * `instanceof` test: cheap enough for the per-delivery path of the ack operators.
 */
export function internalsOf(delivery: { readonly settler: object }): ChannelInternals | undefined {
  const settler = delivery.settler;
  return settler instanceof ChannelCore ? settler : undefined;
}

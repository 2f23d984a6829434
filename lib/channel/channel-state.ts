/**
 * The lifecycle of a channel: `opening` (channel.open sent) → `open` (open-ok received) →
 * `closing` (`close()` was called: channel.close sent, or waiting for outstanding confirms
 * first) → `closed` (finished: close-ok, the server's channel.close, the close timeout, an
 * error, or the connection ending). Any state may go straight to `closed`, and only
 * `ChannelCore.finish` enters it.
 */
export type ChannelState = 'opening' | 'open' | 'closing' | 'closed';

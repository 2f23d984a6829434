/**
 * Ranges the wire imposes on what a connection negotiates or sends (0-9-1 section 4.2 and the
 * domains of the connection class), named where the options, the URL and the handshake check
 * them.
 */

/** Highest channel number: channel numbers and channel_max are 16-bit (`short`). */
export const CHANNEL_MAX_LIMIT = 0xffff;
/** Longest heartbeat interval, in seconds (`short`). */
export const HEARTBEAT_MAX = 0xffff;
/** Largest frame_max (`long`). */
export const FRAME_MAX_LIMIT = 0xffffffff;
/** Longest short string in bytes (`shortstr`): vhost, locale, reply text. */
export const SHORTSTR_MAX = 255;
/** Highest TCP port number. */
export const PORT_MAX = 0xffff;

// README "The protocol codec on its own" (verbatim), and the names in use.
import { parseFrames, encodeFrame, decodeMethod, encodeMethod, encodeTable, decodeTable } from 'rx-amqp/protocol';

export const codec = { parseFrames, encodeFrame, decodeMethod, encodeMethod, encodeTable, decodeTable };

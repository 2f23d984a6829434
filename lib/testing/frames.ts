/**
 * Byte-fixture builders (pg-protocol style): each returns the exact wire bytes of one or more
 * AMQP frames, built on the codec, for feeding a client under test or comparing with what it
 * wrote. None of them does I/O.
 */
import { encodeContentHeader } from '../protocol/content-header';
import {
  DEFAULT_FRAME_MAX,
  FRAME_END,
  FRAME_MAX_CEILING,
  FRAME_OVERHEAD,
  FrameType,
  encodeFrame,
} from '../protocol/frame';
import { encodeMethod, type MethodInput, type MethodName } from '../protocol/method-codec';
import { PROTOCOL_HEADERS, type Protocol } from '../protocol/protocol-version';

/** Content properties accepted by the builders (camelCase basic properties, any class's). */
export type ContentProperties = Record<string, unknown>;

/** Options of {@link contentFrames}. */
export interface ContentFramesOptions {
  /** Largest whole frame; bodies are split into payloads of at most `frameMax - 8` bytes. Default 131072; 0 means no limit. */
  frameMax?: number;
  /** Dialect the method and header are encoded in. Default `'0-9-1'`. */
  protocol?: Protocol;
  /** Class of the content header. Default 60 (basic). */
  classId?: number;
}

/** Overrides of {@link rawFrame} for building malformed frames. */
export interface RawFrameOverrides {
  /** Size field written instead of the payload's real length (a lying size). */
  size?: number;
  /** Frame-end octet written instead of 0xce. */
  frameEnd?: number;
}

/**
 * The 8-byte protocol header a client sends first (and a server answers with when it refuses
 * the client's version): `AMQP 0 0 9 1` for 0-9-1, `AMQP 1 1 8 0` for 0-8.
 * @param protocol the dialect, default `'0-9-1'`
 */
export function protocolHeader(protocol: Protocol = '0-9-1'): Uint8Array {
  return Uint8Array.from(PROTOCOL_HEADERS[protocol]);
}

/**
 * One method frame: type 1, the channel, and the method's payload as `encodeMethod` makes it.
 * Omitted arguments take the spec's defaults.
 * @param channel the channel number (0 for connection methods)
 * @param name `class.method`, e.g. `'basic.deliver'`
 * @param args the method's arguments (camelCase)
 * @param protocol the dialect, default `'0-9-1'`
 */
export function methodFrame<N extends MethodName>(
  channel: number,
  name: N,
  args: MethodInput<N> | Record<string, unknown> = {},
  protocol: Protocol = '0-9-1',
): Uint8Array {
  return encodeFrame({ type: FrameType.METHOD, channel, payload: encodeMethod(name, args, protocol) });
}

/**
 * One content header frame: type 2, class id (60, basic, by default), weight 0, the 64-bit
 * body size and the property flags and values.
 * @param channel the channel number
 * @param bodySize the total body size announced
 * @param properties content properties (camelCase, e.g. `{ contentType: 'text/plain' }`)
 * @param protocol the dialect, default `'0-9-1'`
 * @param classId the content class, default 60 (basic)
 */
export function headerFrame(
  channel: number,
  bodySize: number | bigint,
  properties: ContentProperties = {},
  protocol: Protocol = '0-9-1',
  classId = 60,
): Uint8Array {
  const payload = encodeContentHeader({ classId, bodySize: bodySize as number, properties }, protocol);
  return encodeFrame({ type: FrameType.HEADER, channel, payload });
}

/**
 * One content body frame: type 3, the channel, the bytes as they are (a string is UTF-8).
 * @param channel the channel number
 * @param bytes the body part this frame carries
 */
export function bodyFrame(channel: number, bytes: Uint8Array | string): Uint8Array {
  return encodeFrame({ type: FrameType.BODY, channel, payload: toBytes(bytes) });
}

/**
 * One heartbeat frame: type 8, empty payload. Heartbeats belong on channel 0; another
 * channel makes a malformed frame for hostile tests.
 * @param channel default 0
 */
export function heartbeatFrame(channel = 0): Uint8Array {
  return encodeFrame({ type: FrameType.HEARTBEAT, channel, payload: new Uint8Array(0) });
}

/**
 * A content-carrying method as it goes on the wire: the method frame, the content header
 * frame and as many body frames as the body needs at `frameMax` (none for an empty body),
 * concatenated into one Uint8Array.
 * @param channel the channel number
 * @param methodName a content method: `'basic.deliver'`, `'basic.get-ok'`, `'basic.return'`, `'basic.publish'`
 * @param args the method's arguments
 * @param body the whole body (a string is UTF-8)
 * @param properties content properties
 * @param options `frameMax` (default 131072) and `protocol` (default `'0-9-1'`)
 */
export function contentFrames<N extends MethodName>(
  channel: number,
  methodName: N,
  args: MethodInput<N> | Record<string, unknown>,
  body: Uint8Array | string = new Uint8Array(0),
  properties: ContentProperties = {},
  options: ContentFramesOptions = {},
): Uint8Array {
  const protocol = options.protocol ?? '0-9-1';
  const frameMax = options.frameMax ?? DEFAULT_FRAME_MAX;
  const limit = frameMax === 0 ? FRAME_MAX_CEILING : frameMax;
  if (!(limit > FRAME_OVERHEAD)) throw new RangeError(`frameMax ${frameMax} leaves no room for a body frame's payload`);
  const bytes = toBytes(body);
  const parts = [
    methodFrame(channel, methodName, args, protocol),
    headerFrame(channel, bytes.length, properties, protocol, options.classId ?? 60),
  ];
  const max = limit - FRAME_OVERHEAD;
  for (let off = 0; off < bytes.length; off += max) parts.push(bodyFrame(channel, bytes.subarray(off, off + max)));
  return concatBytes(...parts);
}

/**
 * A frame with any type, channel and payload, optionally lying about its size or ending with
 * the wrong octet: the raw material of hostile-server tests.
 * @param type the frame type octet (1 method, 2 header, 3 body, 8 heartbeat; anything else is invalid)
 * @param channel the channel number
 * @param payload the payload bytes
 * @param overrides `size` to write instead of the payload length, `frameEnd` instead of 0xce
 */
export function rawFrame(
  type: number,
  channel: number,
  payload: Uint8Array = new Uint8Array(0),
  overrides: RawFrameOverrides = {},
): Uint8Array {
  const out = Buffer.alloc(payload.length + FRAME_OVERHEAD);
  out[0] = type;
  out.writeUInt16BE(channel, 1);
  out.writeUInt32BE(overrides.size ?? payload.length, 3);
  out.set(payload, 7);
  out[out.length - 1] = overrides.frameEnd ?? FRAME_END;
  return out;
}

/**
 * A method frame's payload from raw ids and argument bytes (for unknown or truncated
 * methods that `encodeMethod` refuses to build).
 * @param classId the class id
 * @param methodId the method id
 * @param argBytes the argument bytes, as they should appear
 */
export function rawMethodPayload(
  classId: number,
  methodId: number,
  argBytes: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const out = Buffer.alloc(4 + argBytes.length);
  out.writeUInt16BE(classId, 0);
  out.writeUInt16BE(methodId, 2);
  out.set(argBytes, 4);
  return out;
}

/**
 * Concatenates byte arrays into one (e.g. several frames sent in one chunk).
 * @param parts the byte arrays, in order
 */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

function toBytes(b: Uint8Array | string): Uint8Array {
  return typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
}

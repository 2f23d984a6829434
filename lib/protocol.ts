/**
 * `rx-amqp/protocol`: the AMQP codec on its own. Pure functions and a frame parser with no
 * I/O; `parseFrames` is the one RxJS operator, wrapping {@link FrameParser}.
 * @packageDocumentation
 */
export { parseFrames } from './frames/parse-frames';
export {
  encodeFrame,
  FrameParser,
  FrameType,
  FRAME_END,
  FRAME_OVERHEAD,
  FRAME_MIN_SIZE,
  FRAME_MAX_CEILING,
  DEFAULT_FRAME_MAX,
  type Frame,
  type FrameParserOptions,
  type FrameSink,
} from './protocol/frame';
export {
  decodeMethod,
  encodeMethod,
  type DecodedMethod,
  type DecodedMethodOf,
  type MethodName,
  type MethodArgs,
  type MethodInput,
} from './protocol/method-codec';
export { decodeContentHeader, encodeContentHeader, type ContentHeader } from './protocol/content-header';
export { encodeTable, decodeTable } from './protocol/table-codec';
export {
  Decimal,
  TaggedValue,
  field,
  type FieldTable,
  type FieldValue,
  type ExplicitTag,
} from './protocol/field-types';
export { MAX_TABLE_DEPTH } from './protocol/field-value';
export {
  AmqpError,
  FrameError,
  FrameSyntaxError,
  UnexpectedFrameError,
  UnknownMethodError,
  EncodeError,
  ReplyCode,
} from './protocol/errors';
export { METHOD_TABLES, methodTable, type MethodTable } from './protocol/method-table';
export type { MethodDef, PropertiesDef, FieldDef, DomainType } from './protocol/definitions';
export type { FieldReader, FieldWriter } from './protocol/cursor';
export type { Reader } from './protocol/reader';
export type { Writer } from './protocol/writer';
export { PROTOCOL_HEADERS, type Protocol } from './protocol/protocol-version';
export type { BasicProperties } from './protocol/generated/methods-0-9-1';

import { isUtf8 } from 'node:buffer';
import type { FieldReader } from './cursor';
import { FrameSyntaxError } from './errors';
import { Decimal, type FieldValue } from './field-types';

/*
 * Field values on the wire: the tag octets, the nesting bound, and reading a tagged value (the
 * encoder, which picks a tag from the JS type, is field-encode.ts).
 */
/**
 * Deepest nesting of tables and arrays accepted in either direction. Deeper input is a
 * `FrameSyntaxError` (decode) or `EncodeError` (encode, which also stops cycles), never a stack
 * overflow.
 */
export const MAX_TABLE_DEPTH = 64;

/**
 * Field-value tag octets: the 0-9-1 errata set as RabbitMQ reads and writes it (so `s` is a
 * signed 16-bit integer, not 0-9-1's short string). The tag letter is in each comment.
 */
export const enum FieldTag {
  /** 'S' long string */
  LONG_STRING = 0x53,
  /** 'I' signed 32-bit */
  INT32 = 0x49,
  /** 't' boolean */
  BOOLEAN = 0x74,
  /** 'F' nested field table */
  TABLE = 0x46,
  /** 'A' array */
  ARRAY = 0x41,
  /** 'l' signed 64-bit */
  INT64 = 0x6c,
  /** 'L' unsigned 64-bit */
  UINT64 = 0x4c,
  /** 'd' 64-bit float */
  FLOAT64 = 0x64,
  /** 'f' 32-bit float */
  FLOAT32 = 0x66,
  /** 'T' timestamp, seconds */
  TIMESTAMP = 0x54,
  /** 'D' decimal: scale octet, signed 32-bit unscaled value */
  DECIMAL = 0x44,
  /** 'x' byte array */
  BYTES = 0x78,
  /** 'V' void */
  VOID = 0x56,
  /** 'b' signed 8-bit */
  INT8 = 0x62,
  /** 'B' unsigned 8-bit */
  UINT8 = 0x42,
  /** 's' signed 16-bit (RabbitMQ) */
  INT16 = 0x73,
  /** 'u' unsigned 16-bit */
  UINT16 = 0x75,
  /** 'i' unsigned 32-bit */
  UINT32 = 0x69,
}

/** Reads one tagged value. 0-8 peers only send `S I D T F`, but any tag is read leniently. */
export function decodeFieldValue(r: FieldReader, depth: number): FieldValue {
  const tag = r.octet();
  switch (tag) {
    case FieldTag.LONG_STRING: // 'S' long string: UTF-8 text, or the raw bytes when they are not valid UTF-8
      return longStringValue(r);
    case FieldTag.INT32: {
      // 'I' int32
      r.need(4, 'int32');
      const v = r.buf.readInt32BE(r.pos);
      r.pos += 4;
      return v;
    }
    case FieldTag.BOOLEAN: // 't' boolean
      return r.octet() !== 0;
    case FieldTag.TABLE: // 'F' nested table
      return r.table(depth + 1);
    case FieldTag.ARRAY: // 'A' array
      return decodeArray(r, depth + 1);
    case FieldTag.INT64: // 'l' int64
      return r.signedLonglong();
    case FieldTag.UINT64: // 'L' uint64
      return r.longlong();
    case FieldTag.FLOAT64: {
      // 'd' float64
      r.need(8, 'double');
      const v = r.buf.readDoubleBE(r.pos);
      r.pos += 8;
      return v;
    }
    case FieldTag.FLOAT32: {
      // 'f' float32
      r.need(4, 'float');
      const v = r.buf.readFloatBE(r.pos);
      r.pos += 4;
      return v;
    }
    case FieldTag.TIMESTAMP: // 'T' timestamp, seconds
      return r.timestamp();
    case FieldTag.DECIMAL: {
      // 'D' decimal: scale octet, signed 32-bit unscaled value
      r.need(5, 'decimal');
      const scale = r.buf[r.pos];
      const value = r.buf.readInt32BE(r.pos + 1);
      r.pos += 5;
      return new Decimal(scale, value);
    }
    case FieldTag.BYTES: // 'x' byte array
      return r.longstr();
    case FieldTag.VOID: // 'V' void
      return null;
    case FieldTag.INT8: {
      // 'b' int8
      r.need(1, 'int8');
      return r.buf.readInt8(r.pos++);
    }
    case FieldTag.UINT8: // 'B' uint8
      return r.octet();
    case FieldTag.INT16: {
      // 's' int16 (RabbitMQ; 0-9-1's "short string" tag is not used by any broker)
      r.need(2, 'int16');
      const v = r.buf.readInt16BE(r.pos);
      r.pos += 2;
      return v;
    }
    case FieldTag.UINT16: // 'u' uint16
      return r.short();
    case FieldTag.UINT32: // 'i' uint32
      return r.long();
    default:
      throw new FrameSyntaxError(`unknown field tag 0x${tag.toString(16).padStart(2, '0')}`);
  }
}

function longStringValue(r: FieldReader): string | Buffer {
  const len = r.long();
  if (r.end - r.pos < len) {
    throw new FrameSyntaxError(`truncated long string: claims ${len} bytes, ${r.end - r.pos} left`);
  }
  const start = r.pos;
  r.pos += len;
  const slice = r.buf.subarray(start, start + len);
  if (isAscii(slice) || isUtf8(slice)) return r.buf.toString('utf8', start, start + len);
  return Buffer.from(slice);
}

/** Longest string scanned byte by byte for ASCII; longer ones go straight to `isUtf8`. */
const ASCII_SCAN_MAX = 64;
const ASCII_MAX = 0x7f;

function isAscii(b: Buffer): boolean {
  if (b.length > ASCII_SCAN_MAX) return false;
  for (let i = 0; i < b.length; i++) if (b[i] > ASCII_MAX) return false;
  return true;
}

function decodeArray(r: FieldReader, depth: number): FieldValue[] {
  if (depth > MAX_TABLE_DEPTH) {
    throw new FrameSyntaxError(`field tables nested deeper than ${MAX_TABLE_DEPTH} levels`);
  }
  const size = r.long();
  if (r.end - r.pos < size) {
    throw new FrameSyntaxError(`truncated array: claims ${size} bytes, ${r.end - r.pos} left`);
  }
  const stop = r.pos + size;
  const outerEnd = r.end;
  r.end = stop;
  const out: FieldValue[] = [];
  try {
    while (r.pos < stop) out.push(decodeFieldValue(r, depth));
  } finally {
    r.end = outerEnd;
  }
  return out;
}

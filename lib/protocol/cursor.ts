import type { FieldTable } from './field-types';

/**
 * The reading cursor the field-value decoder works on. {@link Reader} implements it; the decoder
 * depends on this interface rather than on `Reader`, because `Reader.table()` calls the decoder
 * (a class and its helper importing each other would be an import cycle).
 */
export interface FieldReader {
  buf: Buffer;
  pos: number;
  end: number;
  need(n: number, what: string): void;
  octet(): number;
  short(): number;
  long(): number;
  longlong(): number | bigint;
  signedLonglong(): number | bigint;
  longstr(): Buffer;
  timestamp(): Date;
  table(depth?: number): FieldTable;
}

/**
 * The growable output the field-value encoder writes to. {@link Writer} implements it (see
 * {@link FieldReader} for why the encoder does not import `Writer`).
 */
export interface FieldWriter {
  buf: Buffer;
  pos: number;
  ensure(n: number): void;
  octet(v: number, field?: string): void;
  short(v: number, field?: string): void;
  long(v: number, field?: string): void;
  int32(v: number): void;
  int64(v: number): void;
  double(v: number): void;
  shortstr(s: string, field?: string): void;
  longstr(s: string | Uint8Array, field?: string): void;
  timestamp(d: Date, field?: string): void;
  reserveLong(): number;
  patchLong(at: number, v: number): void;
}

/**
 * The JS side of AMQP field tables.
 *
 * Encoding picks a tag from the JS type: string `S`, boolean `t`, integer `I` (int32) or `l`
 * (int64) by range, other numbers `d`, bigint `l`, `Date` `T`, `Uint8Array` `x`, arrays `A`,
 * `null`/`undefined` `V`, plain objects `F`, {@link Decimal} `D`. Narrower or unsigned tags
 * are chosen explicitly with {@link field}. Decoding gives the plain JS value of every tag.
 */

/** A decimal value as AMQP carries it: `value × 10^-scale`. */
export class Decimal {
  /**
   * @param scale number of decimal places, 0..255
   * @param value the unscaled signed 32-bit integer
   */
  constructor(
    readonly scale: number,
    readonly value: number,
  ) {}

  /** The decimal as a JS number (may round). */
  toNumber(): number {
    return this.value / 10 ** this.scale;
  }

  /** The exact decimal as text, e.g. `12.50`. */
  toString(): string {
    const negative = this.value < 0;
    const digits = Math.abs(this.value)
      .toString()
      .padStart(this.scale + 1, '0');
    const whole = digits.slice(0, digits.length - this.scale);
    const frac = digits.slice(digits.length - this.scale);
    return (negative ? '-' : '') + whole + (this.scale > 0 ? `.${frac}` : '');
  }
}

/** Tags that {@link field} can force. */
export type ExplicitTag = 'b' | 'B' | 's' | 'u' | 'I' | 'i' | 'l' | 'L' | 'f' | 'd' | 'S' | 'x' | 'T';

/** A value with an explicit field-table tag, made by {@link field}. */
export class TaggedValue {
  constructor(
    readonly tag: ExplicitTag,
    readonly value: number | bigint | string | Uint8Array | Date,
  ) {}
}

/** Constructors for values whose tag must be chosen explicitly. */
export const field = {
  /** `b`: signed 8-bit. */
  int8: (v: number) => new TaggedValue('b', v),
  /** `B`: unsigned 8-bit. */
  uint8: (v: number) => new TaggedValue('B', v),
  /** `s`: signed 16-bit (RabbitMQ's meaning of `s`). */
  int16: (v: number) => new TaggedValue('s', v),
  /** `u`: unsigned 16-bit. */
  uint16: (v: number) => new TaggedValue('u', v),
  /** `I`: signed 32-bit. */
  int32: (v: number) => new TaggedValue('I', v),
  /** `i`: unsigned 32-bit. */
  uint32: (v: number) => new TaggedValue('i', v),
  /** `l`: signed 64-bit. */
  int64: (v: number | bigint) => new TaggedValue('l', v),
  /** `L`: unsigned 64-bit. */
  uint64: (v: number | bigint) => new TaggedValue('L', v),
  /** `f`: 32-bit float (rounds to single precision). */
  float32: (v: number) => new TaggedValue('f', v),
  /** `d`: 64-bit float, also for integral values. */
  float64: (v: number) => new TaggedValue('d', v),
  /** `S`: long string from text or raw bytes. */
  longString: (v: string | Uint8Array) => new TaggedValue('S', v),
  /** `x`: byte array. */
  bytes: (v: Uint8Array) => new TaggedValue('x', v),
  /** `T`: timestamp, seconds since the epoch. */
  timestamp: (v: Date | number) => new TaggedValue('T', typeof v === 'number' ? new Date(v * 1000) : v),
  /** `D`: decimal. */
  decimal: (scale: number, value: number) => new Decimal(scale, value),
} as const;

/** Any value a field table can hold. */
export type FieldValue =
  | string
  | boolean
  | number
  | bigint
  | Date
  | Uint8Array
  | Decimal
  | TaggedValue
  | null
  | undefined
  | FieldValue[]
  | FieldTable;

/** A field table: names to values. */
export interface FieldTable {
  [key: string]: FieldValue;
}

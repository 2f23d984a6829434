import type { Reader } from './reader';
import type { Writer } from './writer';

/** The wire type of a method argument or content property. */
export type DomainType =
  | 'octet'
  | 'short'
  | 'long'
  | 'longlong'
  | 'shortstr'
  | 'longstr'
  | 'bit'
  | 'table'
  | 'timestamp';

/** One argument of a method, as generated from the spec. */
export interface FieldDef {
  readonly name: string;
  readonly type: DomainType;
  readonly default: unknown;
}

/** A method of one dialect: ids, flags and its generated codec. */
export interface MethodDef<Args extends object = object, Input extends object = object> {
  readonly classId: number;
  readonly methodId: number;
  /** `class.method`, e.g. `basic.deliver`. */
  readonly name: string;
  /** Whether the peer answers it with one of {@link replies}. */
  readonly synchronous: boolean;
  /** Whether a content header and body follow it. */
  readonly content: boolean;
  readonly replies: readonly string[];
  readonly fields: readonly FieldDef[];
  decode(r: Reader): Args;
  encode(w: Writer, args: Input): void;
}

/** The content properties of one class (basic, and 0-8's file, stream, tunnel). */
export interface PropertiesDef<Props extends object = object> {
  readonly classId: number;
  readonly names: readonly string[];
  decode(r: Reader, flags: number): Props;
  encode(w: Writer, props: Props): void;
}

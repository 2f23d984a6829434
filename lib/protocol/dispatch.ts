/**
 * Typed dispatch over decoded methods. A decoded method is `{ name, args }`, a union
 * discriminated by `name`, so a `switch` narrows `args` to the method's generated argument
 * type with no cast:
 *
 * ```ts
 * const def = table.lookup(classId, methodId);
 * const m = decodeMethodAt(def, buf, start + 4, end, protocol);
 * switch (m.name) {
 *   case 'basic.consume-ok': return onConsumeOk(m.args.consumerTag); // args: BasicConsumeOk
 *   case 'channel.close': return onClose(m.args.replyCode, m.args.replyText);
 *   default: throw new UnexpectedFrameError(`unexpected ${m.name}`); // the rest, still typed
 * }
 * ```
 *
 * A function that handles one method takes `ArgsOf<'channel.close'>`. The single narrowing from a
 * method table's `MethodDef` (whose `name` is a plain string) to the union is {@link asMethod}.
 * @module
 */
import type { MethodDef } from './definitions';
import type * as v08 from './generated/methods-0-8';
import type * as v091 from './generated/methods-0-9-1';
import { decodeArgs } from './method-codec';
import type { Protocol } from './protocol-version';

/**
 * Every method of either dialect with its decoded arguments, discriminated by `name`. A name
 * both dialects have appears once per dialect (their arguments may differ: 0-8's
 * `connection.open-ok` has `knownHosts` where 0-9-1 has `reserved1`).
 */
export type AnyMethod = v091.Method | v08.Method;

/** Names of every method of either dialect. */
export type AnyMethodName = AnyMethod['name'];

/**
 * The methods a client receives (the server sends them): replies to the client's synchronous
 * requests, deliveries and returns, confirms, and the server's own `close`, `flow`, `cancel`,
 * `blocked`. A dispatcher switches over these; anything else a server sends is a protocol error.
 */
export type IncomingMethod = v091.ServerMethod | v08.ServerMethod;

/** Names of the methods a client receives. */
export type IncomingMethodName = IncomingMethod['name'];

/** The methods a server receives (a client sends them); what a fake server dispatches on. */
export type OutgoingMethod = v091.ClientMethod | v08.ClientMethod;

/** Names of the methods a server receives. */
export type OutgoingMethodName = OutgoingMethod['name'];

/** The decoded arguments of method `N`, as either dialect gives them. */
export type ArgsOf<N extends AnyMethodName> = Extract<AnyMethod, { name: N }>['args'];

/**
 * `args`, decoded by `def`, as the typed union. The one place a method table's string name is
 * trusted to match its generated argument type (the table is built from the same definitions).
 */
export function asMethod(def: MethodDef, args: object): AnyMethod {
  return { name: def.name, args } as AnyMethod;
}

/**
 * Decodes the arguments of an already looked-up method at `buf[offset..end)` (the bytes after
 * the class and method ids) as the typed union; see the module comment for the dispatch
 * pattern. Truncated arguments or trailing bytes are a `FrameSyntaxError` (502).
 */
export function decodeMethodAt(
  def: MethodDef,
  buf: Buffer,
  offset: number,
  end: number,
  protocol: Protocol,
): AnyMethod {
  return { name: def.name, args: decodeArgs(def, buf, offset, end, protocol) } as AnyMethod;
}

/**
 * A received method as the typed union of the generated methods (`switch (t.name)` narrows
 * `t.args` to that method's arguments), for the fake server's own dispatch.
 */
import { type AnyMethod, asMethod } from '../protocol/dispatch';
import { methodTable } from '../protocol/method-table';
import type { Protocol } from '../protocol/protocol-version';
import type { ReceivedMethod } from './fake-server-types';

/** `m` as the typed union, through the definition of its name in the dialect's method table. */
export function typedMethod(m: ReceivedMethod, protocol: Protocol): AnyMethod {
  return asMethod(methodTable(protocol).named(m.name), m.args);
}

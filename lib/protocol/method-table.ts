import { UnknownMethodError } from './errors';
import type { MethodDef, PropertiesDef } from './definitions';
import * as v091 from './generated/methods-0-9-1';
import * as v08 from './generated/methods-0-8';
import type { Protocol } from './protocol-version';

/** Lookup of one dialect's methods by name and by id. */
export interface MethodTable {
  readonly protocol: Protocol;
  readonly byName: ReadonlyMap<string, MethodDef>;
  /** Keyed by `classId << 16 | methodId`. */
  readonly byId: ReadonlyMap<number, MethodDef>;
  readonly properties: ReadonlyMap<number, PropertiesDef>;
  /** The property codec of class basic (60), typed: the properties a message carries. */
  readonly basicProperties: PropertiesDef<v091.BasicProperties>;
  /** Throws {@link UnknownMethodError} for ids the dialect lacks. */
  lookup(classId: number, methodId: number): MethodDef;
  /** Throws for names the dialect lacks. */
  named(name: string): MethodDef;
}

function buildTable(
  protocol: Protocol,
  methods: readonly MethodDef[],
  properties: ReadonlyMap<number, PropertiesDef>,
  basicProperties: PropertiesDef<v091.BasicProperties>,
): MethodTable {
  const byName = new Map(methods.map((m) => [m.name, m]));
  const byId = new Map(methods.map((m) => [(m.classId << 16) | m.methodId, m]));
  return {
    protocol,
    byName,
    byId,
    properties,
    basicProperties,
    lookup(classId, methodId) {
      const def = byId.get((classId << 16) | methodId);
      if (!def) throw new UnknownMethodError(classId, methodId, protocol);
      return def;
    },
    named(name) {
      const def = byName.get(name);
      if (!def) throw new TypeError(`AMQP ${protocol} has no method named '${name}'`);
      return def;
    },
  };
}

/** The method tables of both dialects. */
export const METHOD_TABLES: Readonly<Record<Protocol, MethodTable>> = {
  '0-9-1': buildTable('0-9-1', v091.METHODS, v091.PROPERTIES, v091.BASIC_PROPERTIES),
  '0-8': buildTable('0-8', v08.METHODS, v08.PROPERTIES, v08.BASIC_PROPERTIES),
};

/** The table for a dialect; throws a TypeError for anything else. */
export function methodTable(protocol: Protocol): MethodTable {
  const t = METHOD_TABLES[protocol];
  if (!t) throw new TypeError(`unsupported AMQP protocol '${String(protocol)}' (use '0-9-1' or '0-8')`);
  return t;
}

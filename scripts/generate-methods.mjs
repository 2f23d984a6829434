#!/usr/bin/env node
// Generates lib/protocol/generated/methods-<dialect>.ts from the RabbitMQ AMQP spec JSON in
// codegen/. Run with `npm run generate`; the output is committed.
// `node scripts/generate-methods.mjs --out-dir DIR` writes the files to DIR instead (the spec
// spec/architecture/generated.spec.ts uses it to check that the committed files are in sync).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDirFlag = process.argv.indexOf('--out-dir');
if (outDirFlag >= 0 && !process.argv[outDirFlag + 1]) throw new Error('--out-dir needs a directory');
const outDir = outDirFlag >= 0 ? resolve(process.argv[outDirFlag + 1]) : join(root, 'lib', 'protocol', 'generated');
const dialects = [
  { protocol: '0-9-1', file: 'amqp-rabbitmq-0.9.1.json', out: 'methods-0-9-1.ts' },
  { protocol: '0-8', file: 'amqp-rabbitmq-0.8.json', out: 'methods-0-8.ts' },
];

const PRIMITIVES = new Set(['octet', 'short', 'long', 'longlong', 'shortstr', 'longstr', 'bit', 'table', 'timestamp']);
const TS_TYPE = {
  octet: 'number',
  short: 'number',
  long: 'number',
  // Exact: a number up to 2^53, a bigint past it (a delivery tag may legally be up to 2^64 - 1,
  // and the codec is lossless); the client checks the tags it keeps as numbers.
  longlong: 'number | bigint',
  shortstr: 'string',
  longstr: 'Buffer',
  bit: 'boolean',
  table: 'FieldTable',
  timestamp: 'Date',
};
const TS_INPUT_TYPE = { ...TS_TYPE, longstr: 'string | Uint8Array' };
const ZERO = {
  octet: 0,
  short: 0,
  long: 0,
  longlong: 0,
  shortstr: '',
  longstr: '',
  bit: false,
  table: {},
  timestamp: null,
};

/** What the JSON does not say about a content property's values (JSDoc of the generated type). */
const PROPERTY_DOCS = {
  'basic.headers': 'Application headers: a field table.',
  'basic.deliveryMode': '1 transient, 2 persistent.',
  'basic.priority': '0..255 (RabbitMQ honours 0..9 by default).',
  'basic.expiration': "Per-message TTL in milliseconds, as a string (AMQP's type for it).",
  'basic.timestamp': 'Whole seconds on the wire.',
};

const RESERVED = new Set(['arguments', 'eval', 'type', 'global']);
const camel = (s) => s.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
const pascal = (s) => camel(s).replace(/^[a-z]/, (c) => c.toUpperCase());
const constName = (cls, m) => `${cls}_${m}`.replace(/-/g, '_').toUpperCase();

/**
 * Who sends what. The JSON lacks the spec XML's `chassis` elements, so the directions are
 * listed here: a method that answers a synchronous request goes the other way than the
 * request; of the others, these are sent by the server only ...
 */
const SERVER_ONLY = new Set([
  'connection.start',
  'connection.secure',
  'connection.tune',
  'connection.blocked',
  'connection.unblocked',
  'channel.alert',
  'basic.return',
  'basic.deliver',
  'file.return',
  'file.deliver',
  'stream.return',
  'stream.deliver',
]);
/** ... these by both peers (RabbitMQ sends basic.cancel, and basic.ack/nack in confirm mode) ... */
const BOTH_WAYS = new Set([
  'connection.close',
  'channel.flow',
  'channel.close',
  'basic.ack',
  'basic.nack',
  'basic.cancel',
  'file.open',
  'file.stage',
  'test.integer',
  'test.string',
  'test.table',
  'test.content',
]);
// ... and the rest by the client only.

/** Names of the tables above that some dialect has (a misspelt one is an error). */
const listedAndSeen = new Set();

/** Which peers send each method: `{ server, client }` by name. */
function directions(spec, names) {
  const replyTo = new Map();
  for (const cls of spec.classes)
    for (const m of cls.methods) for (const r of repliesOf(cls, m, names)) replyTo.set(r, `${cls.name}.${m.name}`);
  const initiators = (name) => ({
    server: SERVER_ONLY.has(name) || BOTH_WAYS.has(name),
    client: !SERVER_ONLY.has(name),
  });
  const out = new Map();
  for (const name of names) {
    const request = replyTo.get(name);
    if (request === undefined) {
      out.set(name, initiators(name));
    } else {
      // A reply travels opposite to its request.
      const req = initiators(request);
      out.set(name, { server: req.client, client: req.server });
    }
  }
  for (const n of names) if (SERVER_ONLY.has(n) || BOTH_WAYS.has(n)) listedAndSeen.add(n);
  return out;
}

/** Methods a synchronous request may be answered with (the JSON does not list them). */
function repliesOf(cls, m, names) {
  if (!m.synchronous) return [];
  const out = [];
  if (names.has(`${cls.name}.${m.name}-ok`)) out.push(`${cls.name}.${m.name}-ok`);
  if (cls.name === 'basic' && m.name === 'get') out.push('basic.get-empty');
  if (cls.name === 'connection' && m.name === 'open' && names.has('connection.redirect'))
    out.push('connection.redirect');
  return out;
}

/** Writes `content` to `name` in the output directory. */
function write(name, lines, what) {
  const target = join(outDir, name);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, `${lines.join('\n')}\n`);
  console.log(`wrote ${target}: ${what}`);
}

/**
 * lib/protocol/generated/constants.ts: the spec's constants, from 0-9-1's JSON. 0-8 has the same
 * ones (same values) plus the out-of-band and trace frame types and NOT-DELIVERED (310), which
 * rx-amqp never sends and which its parser rejects or reports by number.
 */
function generateConstants() {
  const [main, other] = dialects.map((d) => JSON.parse(readFileSync(join(root, 'codegen', d.file), 'utf8')));
  const theirs = new Map(other.constants.map((c) => [c.name, c.value]));
  for (const c of main.constants) {
    if (theirs.get(c.name) !== c.value) throw new Error(`constant ${c.name} differs between the dialects`);
  }
  const key = (c, prefix) => c.name.replace(prefix, '').replace(/-/g, '_');
  const frameTypes = main.constants.filter((c) => /^FRAME-(METHOD|HEADER|BODY|HEARTBEAT)$/.test(c.name));
  const replies = main.constants.filter((c) => c.name === 'REPLY-SUCCESS' || c.class !== undefined);
  replies.sort((a, b) => a.value - b.value);
  const value = (name) => {
    const c = main.constants.find((x) => x.name === name);
    if (!c) throw new Error(`no constant ${name}`);
    return c.value;
  };
  const frameEnd = value('FRAME-END');
  const frameMin = value('FRAME-MIN-SIZE');
  const used = new Set([...frameTypes, ...replies].map((c) => c.name).concat('FRAME-END', 'FRAME-MIN-SIZE'));
  for (const c of main.constants) if (!used.has(c.name)) throw new Error(`constant ${c.name} is not generated`);
  const hex = (v) => `0x${v.toString(16)}`;
  const lines = [];
  const emit = (s = '') => lines.push(s);
  emit(
    `// GENERATED by scripts/generate-methods.mjs from codegen/${dialects[0].file}. Do not edit; run \`npm run generate\`.`,
  );
  emit(`// The AMQP definitions are Copyright (C) 2008-2020 VMware, Inc. or its affiliates, MIT licensed.`);
  emit(`//`);
  emit(`// Each constant twice: as a \`const enum\` member, inlined into rx-amqp's own code, and in a`);
  emit(`// public object whose members are number literals (a \`const enum\` cannot be public: an`);
  emit(`// isolatedModules consumer cannot read an ambient one).`);
  emit();
  emit(`/** Frame type octets (FRAME-METHOD ... FRAME-HEARTBEAT), inlined where used. */`);
  emit(`export const enum FrameKind {`);
  for (const c of frameTypes) emit(`  ${key(c, 'FRAME-')} = ${c.value},`);
  emit(`}`);
  emit();
  emit(`/** The spec's frame constants, inlined where used. */`);
  emit(`export const enum FrameConstant {`);
  emit(`  /** FRAME-END: the octet that ends every frame. */`);
  emit(`  END = ${hex(frameEnd)},`);
  emit(`  /** FRAME-MIN-SIZE: the smallest frame_max a peer may negotiate. */`);
  emit(`  MIN_SIZE = ${frameMin},`);
  emit(`}`);
  emit();
  emit(`/** AMQP reply codes (REPLY-SUCCESS, then the soft and hard errors), inlined where used. */`);
  emit(`export const enum Reply {`);
  for (const c of replies) emit(`  ${key(c, 'REPLY-')} = ${c.value},${c.class ? ` // ${c.class}` : ''}`);
  emit(`}`);
  emit();
  emit(`/** Frame type octets (0-9-1 section 4.2.3). */`);
  emit(`export const FrameType = {`);
  for (const c of frameTypes) emit(`  ${key(c, 'FRAME-')}: ${c.value},`);
  emit(`} as const;`);
  emit();
  emit(`/** AMQP reply codes (0-9-1 section 1.2, shared by 0-8). */`);
  emit(`export const ReplyCode = {`);
  for (const c of replies) emit(`  ${key(c, 'REPLY-')}: ${c.value},`);
  emit(`} as const;`);
  emit();
  emit(`/** The octet that ends every frame. */`);
  emit(`export const FRAME_END = ${hex(frameEnd)};`);
  emit();
  emit(`/** Smallest frame_max a peer may negotiate (0-9-1 FRAME-MIN-SIZE). */`);
  emit(`export const FRAME_MIN_SIZE = ${frameMin};`);
  write('constants.ts', lines, `${frameTypes.length} frame types, ${replies.length} reply codes`);
}

function generate({ protocol, file, out }) {
  const spec = JSON.parse(readFileSync(join(root, 'codegen', file), 'utf8'));
  const domains = new Map(spec.domains.map(([name, type]) => [name, type]));
  const typeOf = (arg) => {
    if (arg.type) return arg.type;
    const t = domains.get(arg.domain) ?? (PRIMITIVES.has(arg.domain) ? arg.domain : undefined);
    if (!t) throw new Error(`unknown domain ${arg.domain}`);
    return t;
  };
  const names = new Set(spec.classes.flatMap((c) => c.methods.map((m) => `${c.name}.${m.name}`)));
  const lines = [];
  const emit = (s = '') => lines.push(s);
  emit(`// GENERATED by scripts/generate-methods.mjs from codegen/${file}. Do not edit; run \`npm run generate\`.`);
  emit(`// The AMQP definitions are Copyright (C) 2008-2020 VMware, Inc. or its affiliates, MIT licensed.`);
  emit(`import type { FieldTable } from '../field-types';`);
  emit(`import type { MethodDef, PropertiesDef } from '../definitions';`);
  emit(`import type { Reader } from '../reader';`);
  emit(`import type { Writer } from '../writer';`);
  emit();
  emit(
    `/** Protocol version as announced by this JSON: ${spec['major-version']}-${spec['minor-version']}${spec.revision !== undefined ? `-${spec.revision}` : ''}. */`,
  );
  emit(`export const PROTOCOL = '${protocol}';`);
  emit();

  const all = [];
  for (const cls of spec.classes) {
    for (const m of cls.methods) {
      const name = `${cls.name}.${m.name}`;
      const iface = pascal(cls.name) + pascal(m.name);
      const cname = constName(cls.name, m.name);
      const fields = m.arguments.map((a) => {
        const type = typeOf(a);
        const dflt = a['default-value'] !== undefined ? a['default-value'] : ZERO[type];
        const name = camel(a.name);
        return { name, local: RESERVED.has(name) ? `${name}_` : name, wire: a.name, type, dflt };
      });
      all.push({ name, cname, iface, cls, m, fields });

      emit(`/** Arguments of \`${name}\` (${cls.id}/${m.id}). */`);
      emit(`export interface ${iface} {`);
      for (const f of fields) emit(`  ${f.name}: ${TS_TYPE[f.type]};`);
      emit(`}`);
      emit(`/** Arguments accepted when encoding \`${name}\`; omitted ones take the spec default. */`);
      emit(`export interface ${iface}Input {`);
      for (const f of fields) emit(`  ${f.name}?: ${TS_INPUT_TYPE[f.type]};`);
      emit(`}`);
      emit();
      emit(`/** \`${name}\`: class ${cls.id}, method ${m.id}. */`);
      emit(`export const ${cname}: MethodDef<${iface}, ${iface}Input> = {`);
      emit(`  classId: ${cls.id},`);
      emit(`  methodId: ${m.id},`);
      emit(`  name: '${name}',`);
      emit(`  synchronous: ${!!m.synchronous},`);
      emit(`  content: ${!!m.content},`);
      emit(`  replies: ${JSON.stringify(repliesOf(cls, m, names))},`);
      emit(`  fields: ${JSON.stringify(fields.map((f) => ({ name: f.name, type: f.type, default: f.dflt })))},`);
      // decode
      emit(`  decode(${fields.length ? 'r' : '_r'}: Reader): ${iface} {`);
      let bitIndex = 8;
      let bitVar = 0;
      for (const f of fields) {
        if (f.type === 'bit') {
          if (bitIndex === 8) {
            bitVar++;
            emit(`    const bits${bitVar} = r.octet();`);
            bitIndex = 0;
          }
          emit(`    const ${f.local} = (bits${bitVar} & ${1 << bitIndex}) !== 0;`);
          bitIndex++;
        } else {
          bitIndex = 8;
          const read = {
            octet: 'r.octet()',
            short: 'r.short()',
            long: 'r.long()',
            longlong: 'r.longlong()',
            shortstr: 'r.shortstr()',
            longstr: 'r.longstr()',
            table: 'r.table()',
            timestamp: 'r.timestamp()',
          }[f.type];
          emit(`    const ${f.local} = ${read};`);
        }
      }
      emit(`    return { ${fields.map((f) => (f.local === f.name ? f.name : `${f.name}: ${f.local}`)).join(', ')} };`);
      emit(`  },`);
      // encode
      const usesA = fields.length > 0;
      emit(`  encode(${usesA ? 'w' : '_w'}: Writer, ${usesA ? 'a' : '_a'}: ${iface}Input): void {`);
      bitIndex = 8;
      let pendingBits = [];
      const flushBits = () => {
        if (!pendingBits.length) return;
        const expr = pendingBits.map((f, i) => `((a.${f.name} ?? ${f.dflt}) ? ${1 << i} : 0)`).join(' | ');
        emit(`    w.octet(${expr});`);
        pendingBits = [];
      };
      for (const f of fields) {
        if (f.type === 'bit') {
          if (pendingBits.length === 8) flushBits();
          pendingBits.push(f);
          continue;
        }
        flushBits();
        const d = JSON.stringify(f.dflt);
        const label = `'${name} ${f.name}'`;
        const write = {
          octet: `w.octet(a.${f.name} ?? ${d}, ${label})`,
          short: `w.short(a.${f.name} ?? ${d}, ${label})`,
          long: `w.long(a.${f.name} ?? ${d}, ${label})`,
          longlong: `w.longlong(a.${f.name} ?? ${d}, ${label})`,
          shortstr: `w.shortstr(a.${f.name} ?? ${d}, ${label})`,
          longstr: `w.longstr(a.${f.name} ?? ${d}, ${label})`,
          table: `w.table(a.${f.name}, '${protocol}', ${label})`,
          timestamp: `w.timestamp(a.${f.name} as Date, ${label})`,
        }[f.type];
        emit(`    ${write};`);
      }
      flushBits();
      emit(`  },`);
      emit(`};`);
      emit();
    }
  }

  emit(`/** Argument types by method name. */`);
  emit(`export interface Methods {`);
  for (const x of all) emit(`  '${x.name}': ${x.iface};`);
  emit(`}`);
  emit();
  emit(`/** Encoder input types by method name. */`);
  emit(`export interface MethodInputs {`);
  for (const x of all) emit(`  '${x.name}': ${x.iface}Input;`);
  emit(`}`);
  emit();
  const dir = directions(spec, names);
  const union = (xs) => (xs.length ? xs.map((x) => `\n  | '${x.name}'`).join('') : ' never');
  emit(`/**`);
  emit(` * Every method of AMQP ${protocol} with its decoded arguments, discriminated by \`name\`:`);
  emit(` * \`switch (m.name) { case 'basic.ack': m.args.multiple ... }\` needs no cast.`);
  emit(` */`);
  emit(`export type Method = {`);
  emit(`  [N in keyof Methods]: { name: N; args: Methods[N] };`);
  emit(`}[keyof Methods];`);
  emit();
  emit(`/** Methods a server sends, so a client receives (replies to its requests included). */`);
  emit(`export type ServerMethodName =${union(all.filter((x) => dir.get(x.name).server))};`);
  emit();
  emit(`/** Methods a client sends, so a server receives. */`);
  emit(`export type ClientMethodName =${union(all.filter((x) => dir.get(x.name).client))};`);
  emit();
  emit(`/** The methods a client receives, discriminated by \`name\`. */`);
  emit(`export type ServerMethod = Extract<Method, { name: ServerMethodName }>;`);
  emit();
  emit(`/** The methods a server receives, discriminated by \`name\`. */`);
  emit(`export type ClientMethod = Extract<Method, { name: ClientMethodName }>;`);
  emit();
  emit(`/** Every method of AMQP ${protocol}. */`);
  emit(`export const METHODS: readonly MethodDef[] = [`);
  for (const x of all) emit(`  ${x.cname} as MethodDef,`);
  emit(`];`);
  emit();

  // content properties
  const propClasses = spec.classes.filter((c) => c.properties?.length);
  for (const cls of propClasses) {
    const iface = `${pascal(cls.name)}Properties`;
    const props = cls.properties.map((p) => ({ name: camel(p.name), type: p.type ?? domains.get(p.domain) }));
    if (props.length > 15) throw new Error('property lists past 15 flags are not generated');
    emit(`/**`);
    emit(` * The ${props.length} content properties of class \`${cls.name}\` (${cls.id}), camelCase. Absent ones are`);
    emit(` * undefined.${cls.name === 'basic' ? ' `MessageProperties` is this type.' : ''}`);
    emit(` */`);
    emit(`export interface ${iface} {`);
    for (const p of props) {
      const doc = PROPERTY_DOCS[`${cls.name}.${p.name}`];
      if (doc) emit(`  /** ${doc} */`);
      emit(`  ${p.name}?: ${p.type === 'longstr' ? 'string | Uint8Array' : TS_TYPE[p.type]};`);
    }
    emit(`}`);
    emit();
    emit(`/** Property codec of class \`${cls.name}\`: bit 15 of the flag word is the first property. */`);
    emit(`export const ${cls.name.toUpperCase()}_PROPERTIES: PropertiesDef<${iface}> = {`);
    emit(`  classId: ${cls.id},`);
    emit(`  names: ${JSON.stringify(props.map((p) => p.name))},`);
    emit(`  decode(r: Reader, flags: number): ${iface} {`);
    emit(`    const p: ${iface} = {};`);
    props.forEach((p, i) => {
      const read = {
        octet: 'r.octet()',
        short: 'r.short()',
        long: 'r.long()',
        longlong: 'r.longlong()',
        shortstr: 'r.shortstr()',
        longstr: 'r.longstr()',
        table: 'r.table()',
        timestamp: 'r.timestamp()',
      }[p.type];
      emit(`    if (flags & ${1 << (15 - i)}) p.${p.name} = ${read};`);
    });
    emit(`    return p;`);
    emit(`  },`);
    emit(`  encode(w: Writer, p: ${iface}): void {`);
    emit(`    const at = w.pos;`);
    emit(`    w.short(0);`);
    emit(`    let flags = 0;`);
    props.forEach((p, i) => {
      const label = `'${cls.name} property ${p.name}'`;
      const write = {
        octet: `w.octet(p.${p.name}, ${label})`,
        short: `w.short(p.${p.name}, ${label})`,
        long: `w.long(p.${p.name}, ${label})`,
        longlong: `w.longlong(p.${p.name}, ${label})`,
        shortstr: `w.shortstr(p.${p.name}, ${label})`,
        longstr: `w.longstr(p.${p.name}, ${label})`,
        table: `w.table(p.${p.name}, '${protocol}', ${label})`,
        timestamp: `w.timestamp(p.${p.name}, ${label})`,
      }[p.type];
      emit(`    if (p.${p.name} !== undefined && p.${p.name} !== null) {`);
      emit(`      flags |= ${1 << (15 - i)};`);
      emit(`      ${write};`);
      emit(`    }`);
    });
    emit(`    w.buf.writeUInt16BE(flags, at);`);
    emit(`  },`);
    emit(`};`);
    emit();
  }
  emit(`/** Property codecs by class id. */`);
  emit(`export const PROPERTIES: ReadonlyMap<number, PropertiesDef> = new Map<number, PropertiesDef>([`);
  for (const cls of propClasses) emit(`  [${cls.id}, ${cls.name.toUpperCase()}_PROPERTIES as PropertiesDef],`);
  emit(`]);`);

  write(out, lines, `${all.length} methods, ${propClasses.length} property classes`);
}

for (const d of dialects) generate(d);
generateConstants();
for (const n of [...SERVER_ONLY, ...BOTH_WAYS]) {
  if (!listedAndSeen.has(n)) throw new Error(`direction tables name ${n}, which neither dialect has`);
}

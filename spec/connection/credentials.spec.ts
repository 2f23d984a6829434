import { format, inspect } from 'node:util';
import { AmqpError } from '../../lib/protocol/errors';
import { decodeTable, encodeTable } from '../../lib/protocol/table-codec';
import {
  AUTH_MECHANISMS,
  Credentials,
  isAuthMechanism,
  saslResponse,
  type AuthMechanism,
} from '../../lib/connection/credentials';

const SECRET = 's3cr3t-PASSWORD';

describe('Credentials', () => {
  it('holds a username and a password', () => {
    const c = new Credentials('user', SECRET);
    expect(c.username).toBe('user');
    expect(c.password).toBe(SECRET);
  });

  it('defaults to guest / guest', () => {
    const c = new Credentials();
    expect([c.username, c.password]).toEqual(['guest', 'guest']);
  });

  it('keeps empty strings', () => {
    const c = new Credentials('', '');
    expect([c.username, c.password]).toEqual(['', '']);
  });

  it('rejects values that are not strings', () => {
    expect(() => new Credentials(1 as unknown as string, 'p')).toThrow(TypeError);
    expect(() => new Credentials('u', null as unknown as string)).toThrow(TypeError);
  });

  it('has no own property holding the password', () => {
    const c = new Credentials('user', SECRET);
    expect(Object.getOwnPropertyNames(c)).toEqual(['username']);
    expect(Object.keys(c)).toEqual(['username']);
    expect({ ...c }).toEqual({ username: 'user' });
    expect(Reflect.ownKeys(c)).toEqual(['username']);
  });

  it('cannot have its password reassigned', () => {
    const c = new Credentials('user', SECRET);
    expect(() => {
      (c as unknown as { password: string }).password = 'other';
    }).toThrow(TypeError);
    expect(c.password).toBe(SECRET);
  });

  const c = new Credentials('user', SECRET);
  it.each<[string, () => string]>([
    ['util.inspect', () => inspect(c)],
    ['util.inspect with colors', () => inspect(c, { colors: true })],
    ['util.inspect with showHidden and getters', () => inspect(c, { showHidden: true, getters: true, depth: 10 })],
    ['util.inspect nested deep', () => inspect({ a: { b: { c: { d: [c] } } } }, { depth: 10 })],
    ['util.inspect nested beyond depth', () => inspect({ a: { b: { c: { d: [c] } } } })],
    ['format %o', () => format('%o', c)],
    ['format %O', () => format('%O', c)],
    ['format %s', () => format('%s', c)],
    ['format %j', () => format('%j', c)],
    ['JSON.stringify', () => JSON.stringify(c)],
    ['JSON.stringify nested', () => JSON.stringify({ credentials: c })],
    ['String()', () => String(c)],
    ['template literal', () => `${c}`],
    ['concatenation', () => `x${c}`],
  ])('%s shows no password', (_, show) => {
    const text = show();
    expect(text).not.toContain('s3cr3t');
    expect(text).not.toContain('PASSWORD');
  });

  it('shows the username and *** in util.inspect', () => {
    expect(inspect(c)).toBe("Credentials { username: 'user', password: '***' }");
  });

  it('serialises to { username, password: "***" }', () => {
    expect(JSON.parse(JSON.stringify(c))).toEqual({ username: 'user', password: '***' });
  });

  it('prints as Credentials(user:***)', () => {
    expect(String(c)).toBe('Credentials(user:***)');
  });
});

describe('saslResponse', () => {
  const creds = new Credentials('user', 'pass');

  it('PLAIN is \\0user\\0pass', () => {
    const r = saslResponse('PLAIN', creds);
    expect(Buffer.isBuffer(r)).toBe(true);
    expect(r).toEqual(Buffer.from('\0user\0pass'));
  });

  it('PLAIN encodes UTF-8', () => {
    expect(saslResponse('PLAIN', new Credentials('üser', 'päss'))).toEqual(
      Buffer.from([0, 0xc3, 0xbc, 0x73, 0x65, 0x72, 0, 0x70, 0xc3, 0xa4, 0x73, 0x73]),
    );
  });

  it('PLAIN with empty user and password', () => {
    expect(saslResponse('PLAIN', new Credentials('', ''))).toEqual(Buffer.from([0, 0]));
  });

  it('EXTERNAL is empty', () => {
    const r = saslResponse('EXTERNAL', creds);
    expect(Buffer.isBuffer(r)).toBe(true);
    expect(r.length).toBe(0);
  });

  it('AMQPLAIN is the table {LOGIN, PASSWORD} without its size prefix', () => {
    const r = saslResponse('AMQPLAIN', creds);
    expect(Buffer.isBuffer(r)).toBe(true);
    // prettier-ignore
    expect(r).toEqual(
      Buffer.from([
        5,
        ...Buffer.from('LOGIN'),
        0x53,
        0,
        0,
        0,
        4,
        ...Buffer.from('user'),
        8,
        ...Buffer.from('PASSWORD'),
        0x53,
        0,
        0,
        0,
        4,
        ...Buffer.from('pass'),
      ]),
    );
    expect(r).toEqual(Buffer.from(encodeTable({ LOGIN: 'user', PASSWORD: 'pass' }).subarray(4)));
  });

  it('AMQPLAIN decodes back once the size is put in front', () => {
    const r = saslResponse('AMQPLAIN', new Credentials('üser', SECRET));
    const size = Buffer.alloc(4);
    size.writeUInt32BE(r.length);
    expect(decodeTable(Buffer.concat([size, r]))).toEqual({ LOGIN: 'üser', PASSWORD: SECRET });
  });

  it('returns a fresh buffer each time', () => {
    const a = saslResponse('AMQPLAIN', creds);
    const b = saslResponse('AMQPLAIN', creds);
    expect(a).not.toBe(b);
    a.fill(0);
    expect(b).toEqual(saslResponse('AMQPLAIN', creds));
  });

  it.each<[string, () => Buffer]>([
    ['an unknown mechanism', () => saslResponse('CRAM-MD5' as AuthMechanism, new Credentials('u', SECRET))],
    ['lower-case plain', () => saslResponse('plain' as AuthMechanism, new Credentials('u', SECRET))],
    ['a NUL in a PLAIN password', () => saslResponse('PLAIN', new Credentials('u', `${SECRET}\0`))],
    ['a NUL in a PLAIN username', () => saslResponse('PLAIN', new Credentials('u\0', SECRET))],
    ['a lone surrogate (PLAIN)', () => saslResponse('PLAIN', new Credentials('u', `${SECRET}\ud800`))],
    ['a lone surrogate (AMQPLAIN)', () => saslResponse('AMQPLAIN', new Credentials('u', `${SECRET}\udc00`))],
  ])('throws AmqpError for %s without quoting the password', (_, call) => {
    let error: unknown;
    try {
      call();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AmqpError);
    const text = inspect(error, { depth: 10 });
    expect(text).not.toContain('s3cr3t');
  });
});

describe('AUTH_MECHANISMS / isAuthMechanism', () => {
  it('lists PLAIN, AMQPLAIN and EXTERNAL', () => {
    expect(AUTH_MECHANISMS).toEqual(['PLAIN', 'AMQPLAIN', 'EXTERNAL']);
  });

  it.each([
    ['PLAIN', true],
    ['AMQPLAIN', true],
    ['EXTERNAL', true],
    ['plain', false],
    ['CRAM-MD5', false],
    ['', false],
    [undefined, false],
  ])('%j → %s', (value, ok) => {
    expect(isAuthMechanism(value)).toBe(ok);
  });
});

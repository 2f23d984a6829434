import { format, inspect } from 'node:util';
import fc from 'fast-check';
import { AmqpError } from '../../lib/protocol/errors';
import { Credentials } from '../../lib/connection/credentials';
import { parseAmqpUrl, redactUrl, UrlError, type AmqpUrl } from '../../lib/connection/url';

/** The parsed URL as plain data, credentials spelled out, for strict comparison. */
function plain(u: AmqpUrl): Record<string, unknown> {
  const { credentials, ...rest } = u;
  return { ...rest, username: credentials.username, password: credentials.password };
}

interface Expected extends Partial<Omit<AmqpUrl, 'credentials' | 'hosts' | 'hostname' | 'port'>> {
  /** `[hostname, port]` pairs; default `[['localhost', 5672]]`. */
  hosts?: [string, number][];
  username?: string;
  password?: string;
}

/** The expected {@link plain} form: the spec's defaults, overridden by `e`. */
function expected(e: Expected): Record<string, unknown> {
  const { hosts = [['localhost', e.tls ? 5671 : 5672]], ...rest } = e;
  return {
    tls: false,
    hostname: hosts[0][0],
    port: hosts[0][1],
    hosts: hosts.map(([hostname, port]) => ({ hostname, port })),
    username: 'guest',
    password: 'guest',
    vhost: '/',
    ...rest,
  };
}

describe('parseAmqpUrl: valid URLs', () => {
  const rows: [string, Expected][] = [
    // defaults and the vhost rules of the URI spec
    ['amqp://', {}],
    ['amqp://localhost', {}],
    ['amqp://host', { hosts: [['host', 5672]] }],
    ['amqp://host/', { hosts: [['host', 5672]] }], // vhost '/', as amqplib and pika read it
    ['amqp://host/%2F', { hosts: [['host', 5672]], vhost: '/' }],
    ['amqp://host/%2f', { hosts: [['host', 5672]], vhost: '/' }],
    ['amqp://h/a%2Fb', { hosts: [['h', 5672]], vhost: 'a/b' }],
    ['amqp:///vhost', { vhost: 'vhost' }],
    ['amqp://host/v%C3%A9h%20ost', { hosts: [['host', 5672]], vhost: 'véh ost' }],
    ['amqp://host/vé', { hosts: [['host', 5672]], vhost: 'vé' }],
    // the full example of the issue
    [
      'amqp://user:p%40ss%3Aw0rd@host:5673/%2F?heartbeat=10&frame_max=131072&channel_max=2047&connection_timeout=5000&auth_mechanism=PLAIN',
      {
        hosts: [['host', 5673]],
        username: 'user',
        password: 'p@ss:w0rd',
        vhost: '/',
        heartbeat: 10,
        frameMax: 131072,
        channelMax: 2047,
        connectionTimeout: 5000,
        authMechanism: 'PLAIN',
        authMechanisms: ['PLAIN'],
      },
    ],
    // the spec's own examples
    [
      'amqp://user:pass@host:10000/vhost',
      { hosts: [['host', 10000]], username: 'user', password: 'pass', vhost: 'vhost' },
    ],
    [
      'amqp://user%61:%61pass@ho%61st:10000/v%2fhost',
      { hosts: [['hoast', 10000]], username: 'usera', password: 'apass', vhost: 'v/host' },
    ],
    ['amqp://:@/', { username: '', password: '' }],
    ['amqp://user@', { username: 'user' }],
    ['amqp://user:pass@', { username: 'user', password: 'pass' }],
    ['amqp://:10000', { hosts: [['localhost', 10000]] }],
    // userinfo
    ['amqp://user@host', { hosts: [['host', 5672]], username: 'user' }],
    ['amqp://user:@host', { hosts: [['host', 5672]], username: 'user', password: '' }],
    ['amqp://@host', { hosts: [['host', 5672]], username: '' }],
    ['amqp://u:p%2Fa%3Fb%23c%40d%25@h', { hosts: [['h', 5672]], username: 'u', password: 'p/a?b#c@d%' }],
    ['amqp://u:a:b@h', { hosts: [['h', 5672]], username: 'u', password: 'a:b' }],
    ['amqp://u:p@ss@h', { hosts: [['h', 5672]], username: 'u', password: 'p@ss' }],
    ['amqp://%C3%BCser:p%C3%A4ss@h', { hosts: [['h', 5672]], username: 'üser', password: 'päss' }],
    // schemes and ports
    ['amqps://host', { tls: true, hosts: [['host', 5671]] }],
    ['amqps://host:5673', { tls: true, hosts: [['host', 5673]] }],
    ['AMQPS://Host', { tls: true, hosts: [['Host', 5671]] }],
    ['amqp://host:', { hosts: [['host', 5672]] }],
    ['amqp://host:1', { hosts: [['host', 1]] }],
    ['amqp://host:65535', { hosts: [['host', 65535]] }],
    ['amqp://host:05673', { hosts: [['host', 5673]] }],
    ['amqp://127.0.0.1:5672/', { hosts: [['127.0.0.1', 5672]] }],
    ['  amqp://host\n', { hosts: [['host', 5672]] }],
    // IPv6 literals
    ['amqp://[::1]:5673', { hosts: [['::1', 5673]] }],
    ['amqp://[::1]', { hosts: [['::1', 5672]] }],
    ['amqps://[2001:db8::42]/vh', { tls: true, hosts: [['2001:db8::42', 5671]], vhost: 'vh' }],
    ['amqp://[fe80::1%25eth0]:5674/', { hosts: [['fe80::1%eth0', 5674]] }],
    // host lists
    [
      'amqp://user:pass@h1:5672,h2:5673,[::1]/vhost',
      {
        hosts: [
          ['h1', 5672],
          ['h2', 5673],
          ['::1', 5672],
        ],
        username: 'user',
        password: 'pass',
        vhost: 'vhost',
      },
    ],
    [
      'amqps://h1,h2',
      {
        tls: true,
        hosts: [
          ['h1', 5671],
          ['h2', 5671],
        ],
      },
    ],
    [
      'amqp://[::1]:1,[::2]:2',
      {
        hosts: [
          ['::1', 1],
          ['::2', 2],
        ],
      },
    ],
    // query parameters
    [
      'amqp://h?heartbeat=0&frame_max=0&channel_max=0&connection_timeout=0',
      { hosts: [['h', 5672]], heartbeat: 0, frameMax: 0, channelMax: 0, connectionTimeout: 0 },
    ],
    [
      'amqp://h?heartbeat=65535&frame_max=4096&channel_max=65535',
      { hosts: [['h', 5672]], heartbeat: 65535, frameMax: 4096, channelMax: 65535 },
    ],
    ['amqp://h?frame_max=4294967295', { hosts: [['h', 5672]], frameMax: 4294967295 }],
    ['amqp://h?heartbeat=007', { hosts: [['h', 5672]], heartbeat: 7 }],
    ['amqp://h/?connection_timeout=10000', { hosts: [['h', 5672]], connectionTimeout: 10000 }],
    [
      'amqp://h?auth_mechanism=amqplain',
      { hosts: [['h', 5672]], authMechanism: 'AMQPLAIN', authMechanisms: ['AMQPLAIN'] },
    ],
    [
      'amqp://h?auth_mechanism=external,Plain&auth_mechanism=PLAIN&auth_mechanism=amqplain',
      { hosts: [['h', 5672]], authMechanism: 'EXTERNAL', authMechanisms: ['EXTERNAL', 'PLAIN', 'AMQPLAIN'] },
    ],
    [
      'amqp://h?auth_mechanism=PLAIN%2C%20AMQPLAIN',
      { hosts: [['h', 5672]], authMechanism: 'PLAIN', authMechanisms: ['PLAIN', 'AMQPLAIN'] },
    ],
    ['amqp://h?locale=en_US', { hosts: [['h', 5672]], locale: 'en_US' }],
    ['amqp://h?', { hosts: [['h', 5672]] }],
    ['amqp://h?&&heartbeat=5&&', { hosts: [['h', 5672]], heartbeat: 5 }],
    // unknown parameters are ignored, including RabbitMQ TLS ones rx-amqp does not map
    ['amqp://h?foo=bar&x&=&Heartbeat=abc&depth=2&fail_if_no_peer_cert=true', { hosts: [['h', 5672]] }],
    // TLS parameters (amqps only)
    [
      'amqps://h?cacertfile=/ca.pem&certfile=/c.pem&keyfile=/k.pem&verify=verify_peer&server_name_indication=myhost',
      {
        tls: true,
        hosts: [['h', 5671]],
        tlsOptions: {
          caFile: '/ca.pem',
          certFile: '/c.pem',
          keyFile: '/k.pem',
          verify: 'verify_peer',
          serverName: 'myhost',
        },
      },
    ],
    ['amqps://h?verify=VERIFY_NONE', { tls: true, hosts: [['h', 5671]], tlsOptions: { verify: 'verify_none' } }],
    [
      'amqps://h?cacertfile=%2Fmy%20certs%2Fca+1.pem',
      { tls: true, hosts: [['h', 5671]], tlsOptions: { caFile: '/my certs/ca 1.pem' } },
    ],
    ['amqps://h?certfile=C%3A%5Cca.pem', { tls: true, hosts: [['h', 5671]], tlsOptions: { certFile: 'C:\\ca.pem' } }],
  ];

  it.each(rows)('%s', (url, e) => {
    const parsed = parseAmqpUrl(url);
    expect(plain(parsed)).toStrictEqual(expected(e));
    expect(parsed.credentials).toBeInstanceOf(Credentials);
  });

  it('has at least 20 rows', () => expect(rows.length).toBeGreaterThanOrEqual(20));

  it('returns fresh objects on each call', () => {
    const a = parseAmqpUrl('amqp://h1,h2');
    const b = parseAmqpUrl('amqp://h1,h2');
    expect(a).not.toBe(b);
    expect(a.hosts).not.toBe(b.hosts);
  });

  it('round-trips any percent-encoded username, password and vhost', () => {
    const text = fc.string({ unit: 'binary', maxLength: 60 });
    fc.assert(
      fc.property(text, text, text, (username, password, vhost) => {
        const enc = encodeURIComponent;
        const parsed = parseAmqpUrl(`amqp://${enc(username)}:${enc(password)}@host/${enc(vhost)}`);
        // An empty path is the vhost '/' (the habit of amqplib and pika; see parseVhost).
        expect([parsed.credentials.username, parsed.credentials.password, parsed.vhost]).toEqual([
          username,
          password,
          vhost === '' ? '/' : vhost,
        ]);
      }),
    );
  });
});

describe('parseAmqpUrl: invalid URLs', () => {
  const rows: [string, RegExp][] = [
    // percent-encoding
    ['amqp://foo%1', /percent-encoding in the host/],
    ['amqp://foo%zz', /percent-encoding in the host/],
    ['amqp://u%1:p@h', /percent-encoding in the username/],
    ['amqp://u:p%1@h', /percent-encoding in the password/],
    ['amqp://h/%E0%A4%A', /percent-encoding in the vhost/],
    ['amqp://h/%FF', /percent-encoding in the vhost/],
    ['amqp://h?locale=%', /percent-encoding in the query/],
    // schemes
    ['http://host', /unsupported scheme "http"/],
    ['https://user@host/', /unsupported scheme "https"/],
    ['amqpx://host', /unsupported scheme "amqpx"/],
    ['amqp:/x', /expected "\/\/"/],
    ['amqp:x', /expected "\/\/"/],
    ['localhost', /starting with amqp:\/\//],
    ['localhost:5672', /unsupported scheme/],
    ['//host', /starting with amqp:\/\//],
    ['', /starting with amqp:\/\//],
    // ports
    ['amqp://host:99999', /port must be an integer 1\.\.65535/],
    ['amqp://host:65536', /port must be an integer 1\.\.65535/],
    ['amqp://host:0', /port must be an integer 1\.\.65535/],
    ['amqp://host:abc', /port must be an integer 1\.\.65535/],
    ['amqp://host:-1', /port must be an integer 1\.\.65535/],
    ['amqp://host:5672x', /port must be an integer 1\.\.65535/],
    ['amqp://host:1e3', /port must be an integer 1\.\.65535/],
    ['amqp://[::1]:0', /port must be an integer 1\.\.65535/],
    ['amqp://h1,h2:abc', /host 2 of 2: the port must be/],
    // hosts
    ['amqp://h1,,h2', /host 2 of 3 is empty/],
    ['amqp://h1,', /host 2 of 2 is empty/],
    ['amqp://,h2', /host 1 of 2 is empty/],
    ['amqp://h1,:5673', /host 2 of 2 is empty/],
    ['amqp://::1', /IPv6 address must be enclosed in \[brackets\]/],
    ['amqp://[::1', /unterminated IPv6 literal/],
    ['amqp://[::1]x', /after the IPv6 literal/],
    ['amqp://[not-an-ip]', /invalid IPv6 literal/],
    ['amqp://[]', /invalid IPv6 literal/],
    ['amqp://ho%2Fst', /invalid character in the host name/],
    ['amqp://ho%20st', /invalid character in the host name/],
    // path
    ['amqp://h/a/b', /single segment/],
    ['amqp://h//', /single segment/],
    ['amqp://h/a/', /single segment/],
    [`amqp://h/${'v'.repeat(256)}`, /longer than 255 bytes/],
    // characters and fragments
    ['amqp://ho st', /whitespace or control characters/],
    ['amqp://h/v host', /whitespace or control characters/],
    ['amqp://h\n/v', /whitespace or control characters/],
    ['amqp://h/v#frag', /fragment is not allowed/],
    // query parameters
    ['amqp://h?heartbeat=-1', /heartbeat must be an integer 0\.\.65535/],
    ['amqp://h?heartbeat=abc', /heartbeat must be an integer 0\.\.65535/],
    ['amqp://h?heartbeat=', /heartbeat must be an integer/],
    ['amqp://h?heartbeat', /heartbeat must be an integer/],
    ['amqp://h?heartbeat=1.5', /heartbeat must be an integer/],
    ['amqp://h?heartbeat=1e3', /heartbeat must be an integer/],
    ['amqp://h?heartbeat=%2B5', /heartbeat must be an integer/],
    ['amqp://h?heartbeat=+5', /heartbeat must be an integer/],
    ['amqp://h?heartbeat=0x10', /heartbeat must be an integer/],
    ['amqp://h?heartbeat=65536', /heartbeat must be an integer 0\.\.65535/],
    ['amqp://h?heartbeat=5&heartbeat=6', /heartbeat is given twice/],
    ['amqp://h?frame_max=100', /frame_max must be 0 or an integer 4096\.\.4294967295/],
    ['amqp://h?frame_max=4095', /frame_max must be 0 or/],
    ['amqp://h?frame_max=4294967296', /frame_max must be 0 or/],
    ['amqp://h?frame_max=-1', /frame_max must be 0 or/],
    ['amqp://h?channel_max=65536', /channel_max must be an integer 0\.\.65535/],
    ['amqp://h?channel_max=x', /channel_max must be an integer/],
    ['amqp://h?connection_timeout=-5', /connection_timeout must be a non-negative integer/],
    ['amqp://h?connection_timeout=1.5', /connection_timeout must be a non-negative integer/],
    ['amqp://h?connection_timeout=99999999999999999', /connection_timeout must be a non-negative integer/],
    ['amqp://h?auth_mechanism=CRAM-MD5', /unknown auth_mechanism; supported: PLAIN, AMQPLAIN, EXTERNAL/],
    ['amqp://h?auth_mechanism=PLAIN,', /unknown auth_mechanism/],
    ['amqp://h?auth_mechanism=', /unknown auth_mechanism/],
    ['amqp://h?locale=', /locale must be 1\.\.255 bytes/],
    ['amqp://h?cacertfile=/ca.pem', /cacertfile is a TLS parameter and needs the amqps scheme/],
    ['amqp://h?verify=verify_peer', /verify is a TLS parameter/],
    ['amqps://h?verify=maybe', /verify must be verify_peer or verify_none/],
    ['amqps://h?certfile=', /certfile must not be empty/],
    ['amqps://h?keyfile=/a&keyfile=/b', /keyfile is given twice/],
  ];

  it.each(rows)('%j', (url, reason) => {
    let error: unknown;
    try {
      parseAmqpUrl(url);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UrlError);
    expect(error).toBeInstanceOf(AmqpError);
    const err = error as UrlError;
    expect(err.name).toBe('UrlError');
    expect(err.code).toBeUndefined();
    expect(err.message).toMatch(/^invalid AMQP URL "/);
    expect(err.message).toMatch(reason);
    expect(err.url).toBe(redactUrl(url.trim()));
  });

  it('rejects a value that is not a string', () => {
    expect(() => parseAmqpUrl(42 as unknown as string)).toThrow(UrlError);
    expect(() => parseAmqpUrl(undefined as unknown as string)).toThrow('an AMQP URL must be a string');
  });

  it('keeps the URIError of a bad percent-encoding as the cause', () => {
    expect(() => parseAmqpUrl('amqp://foo%1')).toThrow(expect.objectContaining({ cause: expect.any(URIError) }));
  });
});

describe('the password never leaks', () => {
  const SECRET = 's3cr3t-PASSWORD';
  // Matches the secret and its pieces either side of an encoded character.
  const leaks = (text: string) => /s3cr3t|PASSWORD/.test(text);

  const failing = [
    `amqp://user:${SECRET}@host:abc/`,
    `amqp://user:${SECRET}@host:0`,
    `amqp://user:${SECRET}@host?heartbeat=-1`,
    `amqp://user:${SECRET}@host?frame_max=100`,
    `amqp://user:${SECRET}@host?auth_mechanism=NOPE`,
    `amqp://user:${SECRET}@h1,,h2`,
    `amqp://user:${SECRET}@h/a/b`,
    `amqp://user:${SECRET}@foo%1`,
    `amqp://user:${SECRET}%@host`,
    `amqp://user:s3cr3t%2DPASSWORD%ZZ@host`,
    `amqp://user:${SECRET}@host#frag`,
    `http://user:${SECRET}@host`,
    `amqp:/user:${SECRET}@host`,
    `user:${SECRET}@host`,
    // unencoded delimiters in the password make the authority end early
    `amqp://user:${SECRET}/x@host`,
    `amqp://user:${SECRET}?x@host`,
    `amqp://user:${SECRET}#x@host`,
    `amqp://user:${SECRET}@x@host:0`,
    `amqp://user:${SECRET} x@host`,
    `amqp://user:${SECRET}\n@host`,
    `amqp://user:${SECRET}:x/y@host`,
    `amqp://user:${SECRET}@host/?heartbeat=x&file=a@b`,
    `  amqp://user:${SECRET}@host:99999  `,
    `amqps://h?password=${SECRET}&verify=bad`,
  ];

  it.each(failing)('in the error of %j', (url) => {
    let error: unknown;
    try {
      parseAmqpUrl(url);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UrlError);
    const err = error as UrlError;
    for (const text of [
      err.message,
      String(err),
      err.stack ?? '',
      err.url ?? '',
      inspect(err, { depth: 10 }),
      inspect(err, { depth: 10, showHidden: true }),
      format('%o', err),
      JSON.stringify(err),
      inspect(err.cause, { depth: 10 }),
      String(err.cause),
    ]) {
      expect(leaks(text)).toBe(false);
    }
  });

  it.each([
    `amqp://user:${SECRET}@host`,
    'amqps://user:s3cr3t%2DPASSWORD@h1,h2/v?heartbeat=5&auth_mechanism=PLAIN&cacertfile=/ca.pem',
  ])('in the parsed result of %j', (url) => {
    const parsed = parseAmqpUrl(url);
    expect(parsed.credentials.password).toBe(SECRET);
    for (const text of [
      inspect(parsed),
      inspect(parsed, { depth: 10 }),
      inspect(parsed, { depth: 10, showHidden: true, getters: true }),
      inspect(parsed.credentials),
      format('%o', parsed),
      format('%j', parsed),
      format('%s', parsed.credentials),
      JSON.stringify(parsed),
      JSON.stringify(parsed.credentials),
      String(parsed.credentials),
      `${parsed.credentials}`,
      JSON.stringify(Object.entries(parsed.credentials)),
      JSON.stringify({ ...parsed.credentials }),
    ]) {
      expect(leaks(text)).toBe(false);
    }
  });

  it('in any error for any raw password', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 30 }),
        fc.constantFrom(':abc', ':0', '?heartbeat=x', '/a/b', ''),
        (raw, tail) => {
          const password = `Zq9${raw}`;
          try {
            parseAmqpUrl(`amqp://user:${password}@host${tail}`);
          } catch (e) {
            const err = e as UrlError;
            expect(err).toBeInstanceOf(UrlError);
            expect(inspect(err, { depth: 10 })).not.toContain('Zq9');
            expect(String(err.cause)).not.toContain('Zq9');
          }
        },
      ),
    );
  });
});

describe('redactUrl', () => {
  it.each([
    ['amqp://user:pass@host/vh', 'amqp://user:***@host/vh'],
    ['amqp://user:p%40ss@host:5672/%2F?heartbeat=5', 'amqp://user:***@host:5672/%2F?heartbeat=5'],
    ['amqp://:pass@host', 'amqp://:***@host'],
    ['amqp://user:@host', 'amqp://user:***@host'],
    ['amqp://user@host', 'amqp://user@host'],
    ['amqp://host:5672/vh', 'amqp://host:5672/vh'],
    ['amqp://u:p@ss@host', 'amqp://u:***@host'],
    ['amqp://u:p/a?b#c@host:5672/v', 'amqp://u:***@host:5672/v'],
    ['amqps://u:p@h1:1,[::1]:2/v', 'amqps://u:***@h1:1,[::1]:2/v'],
    ['amqps://u:p@h?password=x&verify=verify_peer', 'amqps://u:***@h?password=***&verify=verify_peer'],
    ['amqp://h?PASSWORD=x', 'amqp://h?PASSWORD=***'],
    ['user:pass@host', 'user:***@host'],
    ['http://user:pass@host', 'http://user:***@host'],
    ['not a url', 'not a url'],
    ['', ''],
  ])('%j → %j', (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted);
  });

  it('never throws, even on a value that is not a string', () => {
    expect(redactUrl(null as unknown as string)).toBe('[not a string]');
  });
});

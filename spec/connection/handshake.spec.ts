/**
 * The opening handshake against the scripted fake server: protocol headers, start-ok,
 * SASL, secure, tune negotiation, every way the server can refuse, and the vhost a URL opens.
 */
import { inspect } from 'node:util';
import { VirtualTimeScheduler } from 'rxjs';
import {
  AuthenticationError,
  ConnectionClosedError,
  ConnectionLostError,
  ConnectionTimeoutError,
  ProtocolMismatchError,
  type Connection,
} from 'rx-amqp';
import { decodeTable } from 'rx-amqp/protocol';
import { fakeServer, protocolHeader, type FakeServer } from 'rx-amqp/testing';
import { connectFake, errorText, openFake, trapUnhandledErrors, type Outcome } from '../support/fake';

trapUnhandledErrors();

const PASSWORD = 'S3cr3t-p4ssw0rd';

function expectError(
  outcome: Outcome<Connection>,
  cls: abstract new (...args: never[]) => Error,
  code: number | undefined,
): Error {
  expect(outcome.values).toEqual([]);
  expect(outcome.errored).toBe(true);
  expect(outcome.error).toBeInstanceOf(cls);
  expect((outcome.error as { code?: number }).code).toBe(code);
  return outcome.error as Error;
}

function startOk(server: FakeServer) {
  const [m] = server.methods('connection.start-ok');
  expect(m).toBeDefined();
  return m;
}

describe('protocol header', () => {
  it("is 'AMQP' 0 0 9 1 for 0-9-1", async () => {
    const server = fakeServer();
    await openFake(server);
    expect(Buffer.from(server.header!)).toEqual(Buffer.from('AMQP\0\0\x09\x01', 'latin1'));
    expect(server.errors).toEqual([]);
  });

  it("is 'AMQP' 1 1 8 0 for 0-8", async () => {
    const server = fakeServer({ protocol: '0-8' });
    const { connection } = await openFake(server, { protocol: '0-8' });
    expect(Buffer.from(server.header!)).toEqual(Buffer.from('AMQP\x01\x01\x08\x00', 'latin1'));
    expect(Buffer.from(server.header!)).toEqual(Buffer.from(protocolHeader('0-8')));
    expect(connection.protocol).toBe('0-8');
    expect(server.errors).toEqual([]);
  });

  it('the full 0-9-1 handshake goes start-ok, tune-ok, open and the connection opens', async () => {
    const server = fakeServer();
    const { connection } = await openFake(server, { vhost: 'v1' });
    expect(server.received.map((m) => m.name)).toEqual([
      'connection.start-ok',
      'connection.tune-ok',
      'connection.open',
    ]);
    expect(server.methods('connection.open')[0].args.virtualHost).toBe('v1');
    expect(connection.isOpen).toBe(true);
    expect(connection.serverProperties.product).toBe('rx-amqp fake server');
  });
});

describe('connection.start-ok', () => {
  it('carries the 0-9-1 client properties with every capability rx-amqp implements', async () => {
    const server = fakeServer();
    await openFake(server);
    const props = startOk(server).args.clientProperties as Record<string, unknown>;
    expect(props.product).toBe('rx-amqp');
    expect(typeof props.version).toBe('string');
    expect(props.platform).toMatch(/^Node\.js /);
    expect(props.capabilities).toMatchObject({
      publisher_confirms: true,
      consumer_cancel_notify: true,
      'connection.blocked': true,
      'basic.nack': true,
      exchange_exchange_bindings: true,
      authentication_failure_close: true,
      per_consumer_qos: true,
    });
    expect(props.connection_name).toBeUndefined();
    expect(startOk(server).args.locale).toBe('en_US');
  });

  it('sends the connectionName option as connection_name, and extra clientProperties', async () => {
    const server = fakeServer();
    await openFake(server, { connectionName: 'orders-worker', clientProperties: { team: 'payments' } });
    const props = startOk(server).args.clientProperties as Record<string, unknown>;
    expect(props.connection_name).toBe('orders-worker');
    expect(props.team).toBe('payments');
  });

  it('has no boolean capabilities table in 0-8 (0-8 tables cannot carry booleans)', async () => {
    const server = fakeServer({ protocol: '0-8' });
    await openFake(server, { protocol: '0-8', connectionName: 'legacy' });
    const props = startOk(server).args.clientProperties as Record<string, unknown>;
    expect(props.capabilities).toBeUndefined();
    expect(props.product).toBe('rx-amqp');
    expect(props.connection_name).toBe('legacy');
    for (const v of Object.values(props)) expect(typeof v).toBe('string');
  });

  it('answers SASL PLAIN with \\0user\\0pass', async () => {
    const server = fakeServer();
    await openFake(server, { username: 'alice', password: 'pw' });
    expect(startOk(server).args.mechanism).toBe('PLAIN');
    expect(startOk(server).args.response).toEqual(Buffer.from('\0alice\0pw', 'utf8'));
  });

  it('answers AMQPLAIN with the LOGIN/PASSWORD table body (no size prefix)', async () => {
    const server = fakeServer({ mechanisms: 'AMQPLAIN PLAIN' });
    await openFake(server, { username: 'bob', password: 'pw2', mechanism: 'AMQPLAIN' });
    const m = startOk(server);
    expect(m.args.mechanism).toBe('AMQPLAIN');
    const response = m.args.response as Buffer;
    const size = Buffer.alloc(4);
    size.writeUInt32BE(response.length);
    expect(decodeTable(Buffer.concat([size, response]))).toEqual({ LOGIN: 'bob', PASSWORD: 'pw2' });
  });

  it('answers EXTERNAL with an empty response', async () => {
    const server = fakeServer({ mechanisms: 'EXTERNAL' });
    await openFake(server, { mechanism: 'EXTERNAL' });
    expect(startOk(server).args.mechanism).toBe('EXTERNAL');
    expect((startOk(server).args.response as Buffer).length).toBe(0);
  });

  it('lets the fake server check the credentials it was given', async () => {
    const logins: Array<{ username?: string; password?: string }> = [];
    const server = fakeServer({
      authenticate: (l) => {
        logins.push(l);
        return l.username === 'carol' && l.password === 'right';
      },
    });
    await openFake(server, { username: 'carol', password: 'right' });
    expect(logins).toEqual([expect.objectContaining({ mechanism: 'PLAIN', username: 'carol', password: 'right' })]);
  });
});

describe('connection.secure', () => {
  it('is answered with secure-ok carrying the SASL response, then the handshake goes on', async () => {
    const server = fakeServer({ secure: 'challenge-1' });
    const { connection } = await openFake(server, { username: 'u', password: 'p' });
    expect(server.received.map((m) => m.name)).toEqual([
      'connection.start-ok',
      'connection.secure-ok',
      'connection.tune-ok',
      'connection.open',
    ]);
    expect(server.methods('connection.secure-ok')[0].args.response).toEqual(Buffer.from('\0u\0p'));
    expect(connection.isOpen).toBe(true);
  });
});

describe('tune negotiation', () => {
  async function tuned(serverTune: { channelMax?: number; frameMax?: number; heartbeat?: number }, options = {}) {
    const server = fakeServer({ tune: serverTune });
    const { connection } = await openFake(server, options);
    const tuneOk = server.methods('connection.tune-ok')[0].args;
    expect(connection.tune).toEqual({
      channelMax: tuneOk.channelMax,
      frameMax: tuneOk.frameMax,
      heartbeat: tuneOk.heartbeat,
    });
    await connection.close();
    return tuneOk;
  }

  it('frameMax defaults to 131072', async () => {
    expect((await tuned({ frameMax: 1 << 20 })).frameMax).toBe(131072);
  });

  it("takes the server's frameMax when it is lower", async () => {
    expect((await tuned({ frameMax: 65536 })).frameMax).toBe(65536);
  });

  it('never proposes a frameMax below 8192', async () => {
    expect((await tuned({ frameMax: 131072 }, { frameMax: 4096 })).frameMax).toBe(8192);
  });

  it("reads the server's frameMax 0 as no limit: the client's value stands", async () => {
    expect((await tuned({ frameMax: 0 })).frameMax).toBe(131072);
    expect((await tuned({ frameMax: 0 }, { frameMax: 0 })).frameMax).toBe(0);
  });

  it("channelMax defaults to 2047, the lower of both wins, the server's 0 means no limit", async () => {
    expect((await tuned({ channelMax: 0 })).channelMax).toBe(2047);
    expect((await tuned({ channelMax: 100 })).channelMax).toBe(100);
    expect((await tuned({ channelMax: 2047 }, { channelMax: 10 })).channelMax).toBe(10);
  });

  it("heartbeat: an explicit option wins, 0 included; otherwise the server's", async () => {
    expect((await tuned({ heartbeat: 60 })).heartbeat).toBe(60);
    expect((await tuned({ heartbeat: 60 }, { heartbeat: 0 })).heartbeat).toBe(0);
    expect((await tuned({ heartbeat: 60 }, { heartbeat: 5 })).heartbeat).toBe(5);
    expect((await tuned({ heartbeat: 0 }, { heartbeat: 30 })).heartbeat).toBe(30);
  });
});

describe('refusals', () => {
  it('a connection.close 403 after start-ok is an AuthenticationError (403), answered with close-ok', async () => {
    const server = fakeServer({ authenticate: () => false });
    const outcome = await connectFake(server, { username: 'u', password: PASSWORD });
    const error = expectError(outcome, AuthenticationError, 403);
    expect(error.message).toMatch(/ACCESS_REFUSED/);
    expect(server.methods('connection.close-ok')).toHaveLength(1);
    expect(server.methods('connection.open')).toEqual([]);
    expect(errorText(error)).not.toContain(PASSWORD);
  });

  it('in 0-8 a server that closes the socket after start-ok is an AuthenticationError', async () => {
    const server = fakeServer({ protocol: '0-8', authenticate: () => false });
    const outcome = await connectFake(server, { protocol: '0-8', username: 'u', password: PASSWORD });
    const error = expectError(outcome, AuthenticationError, 403);
    expect(server.closedBy).toBe('server-drop');
    expect(errorText(error)).not.toContain(PASSWORD);
  });

  it('a mechanism the server does not offer is an AuthenticationError, and no start-ok is sent', async () => {
    const server = fakeServer({ mechanisms: 'PLAIN' });
    const outcome = await connectFake(server, { mechanism: 'AMQPLAIN', password: PASSWORD });
    const error = expectError(outcome, AuthenticationError, 403);
    expect(error.message).toMatch(/AMQPLAIN/);
    expect(server.methods('connection.start-ok')).toEqual([]);
    expect(errorText(error)).not.toContain(PASSWORD);
  });

  it('530 on connection.open (unknown vhost) is a ConnectionClosedError with code 530', async () => {
    const server = fakeServer({ vhosts: ['/'] });
    const outcome = await connectFake(server, { vhost: 'nope', password: PASSWORD });
    const error = expectError(outcome, ConnectionClosedError, 530) as ConnectionClosedError;
    expect(error.replyCode).toBe(530);
    expect(error.replyText).toMatch(/vhost nope not found/);
    expect(error.classId).toBe(10);
    expect(error.methodId).toBe(40);
    expect(server.methods('connection.close-ok')).toHaveLength(1);
    expect(errorText(error)).not.toContain(PASSWORD);
  });

  it('a server answering with another protocol header is a ProtocolMismatchError', async () => {
    const server = fakeServer({ protocol: '0-8' });
    const outcome = await connectFake(server, { protocol: '0-9-1' });
    const error = expectError(outcome, ProtocolMismatchError, undefined) as ProtocolMismatchError;
    expect(Buffer.from(error.serverHeader)).toEqual(Buffer.from(protocolHeader('0-8')));
    expect(error.message).toMatch(/AMQP 1-1-8-0/);
  });

  it('a protocol header that arrives in pieces, the socket left open, is a ProtocolMismatchError too', async () => {
    const server = fakeServer({
      onProtocolHeader: (_h, s) => s.sendChunks([Uint8Array.of(0x41, 0x4d, 0x51), Uint8Array.of(0x50, 0, 0, 9, 0)]),
    });
    const outcome = await connectFake(server);
    expectError(outcome, ProtocolMismatchError, undefined);
    expect(server.closedBy).toBe('client-destroy');
  });

  it('a server that never sends connection.start times out with ConnectionTimeoutError', async () => {
    const scheduler = new VirtualTimeScheduler();
    const server = fakeServer({ silent: true });
    const outcome = await connectFake(server, { scheduler, connectionTimeout: 5000 });
    expect(outcome.ended).toBe(false);
    scheduler.flush();
    await server.idle();
    const error = expectError(outcome, ConnectionTimeoutError, undefined) as ConnectionTimeoutError;
    expect(error.timeout).toBe(5000);
    expect(error.message).toMatch(/waiting for connection\.start/);
    expect(server.closedBy).toBe('client-destroy');
  });

  it('a server that hangs up during the handshake is a ConnectionLostError', async () => {
    const server = fakeServer({ answer: { handshake: false }, onProtocolHeader: (_h, s) => s.drop() });
    const outcome = await connectFake(server);
    expectError(outcome, ConnectionLostError, undefined);
  });

  it('a refused TCP connection is a ConnectionLostError carrying the socket error', async () => {
    const server = fakeServer({ connect: 'refuse' });
    const outcome = await connectFake(server);
    const error = expectError(outcome, ConnectionLostError, undefined);
    expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED');
  });
});

describe('the password', () => {
  it('appears in no error, message or inspect output of any failed handshake', async () => {
    const url = `amqp://user:${PASSWORD}@localhost:5672/`;
    const failures = [
      await connectFake(fakeServer({ authenticate: () => false }), { url }),
      await connectFake(fakeServer({ protocol: '0-8', authenticate: () => false }), { url, protocol: '0-8' }),
      await connectFake(fakeServer({ mechanisms: 'EXTERNAL' }), { url }),
      await connectFake(fakeServer({ vhosts: [] }), { url }),
      await connectFake(fakeServer({ protocol: '0-8' }), { url }),
      await connectFake(fakeServer({ tune: { frameMax: 100 } }), { url }),
    ];
    for (const f of failures) {
      expect(f.errored).toBe(true);
      expect(errorText(f.error)).not.toContain(PASSWORD);
    }
  });

  it('does not show in inspect of an open connection', async () => {
    const server = fakeServer();
    const { connection } = await openFake(server, { password: PASSWORD });
    expect(inspect(connection, { depth: 6, showHidden: true })).not.toContain(PASSWORD);
    await connection.close();
  });
});

describe('the vhost of a URL', () => {
  it.each([
    ['amqp://guest:guest@localhost:5672/', '/'],
    ['amqp://guest:guest@localhost:5672', '/'],
    ['amqp://guest:guest@localhost:5672/%2F', '/'],
    ['amqp://guest:guest@localhost:5672/v1', 'v1'],
  ])('%s opens the vhost %j', async (url, vhost) => {
    const server = fakeServer({ vhosts: ['/', 'v1'] });
    const { connection } = await openFake(server, { url });
    expect(server.methods('connection.open')[0].args.virtualHost).toBe(vhost);
    await connection.close();
    expect(server.errors).toEqual([]);
  });

  it("the empty vhost is still reachable with the vhost: '' option, which wins over the URL", async () => {
    const server = fakeServer({ vhosts: [''] });
    const outcome = await connectFake(server, { url: 'amqp://guest:guest@localhost:5672/', vhost: '' });
    expect(outcome.errored).toBe(false);
    expect(server.methods('connection.open')[0].args.virtualHost).toBe('');
    await outcome.values[0].close();
  });
});

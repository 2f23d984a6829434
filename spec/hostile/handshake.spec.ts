/**
 * A hostile server during the opening handshake: illegal tune values, methods out of order and
 * methods that do not decode fail `connect()` with a typed error that the client also reports
 * to the server.
 */
import { FrameSyntaxError, TuneError, UnexpectedFrameError, UnknownMethodError } from 'rx-amqp';
import { concatBytes, fakeServer, methodFrame, rawFrame, rawMethodPayload, type FakeServer } from 'rx-amqp/testing';
import { connectFake, trapUnhandledErrors } from '../support/fake';
import { deepTable, u32 } from './bytes';

trapUnhandledErrors();

function longstr(s: string): Buffer {
  return Buffer.concat([u32(Buffer.byteLength(s)), Buffer.from(s)]);
}

/** connection.start with the given bytes as its serverProperties table. */
function startWithTable(table: Uint8Array): Uint8Array {
  return rawFrame(
    1,
    0,
    rawMethodPayload(10, 10, concatBytes(Uint8Array.of(0, 9), table, longstr('PLAIN'), longstr('en_US'))),
  );
}

async function expectRefused(server: FakeServer, cls: abstract new (...args: never[]) => Error, code: number) {
  const outcome = await connectFake(server);
  expect(outcome.values).toEqual([]);
  expect(outcome.error).toBeInstanceOf(cls);
  expect((outcome.error as { code?: number }).code).toBe(code);
  const closes = server.methods('connection.close');
  expect(closes).toHaveLength(1);
  expect(closes[0].args.replyCode).toBe(code);
  expect(server.closedBy).toBe('client-end');
  expect(server.errors).toEqual([]);
  return outcome.error as Error;
}

describe('tune', () => {
  it('a frame_max under 4096 is refused with TuneError (530); no tune-ok is sent', async () => {
    const server = fakeServer({ tune: { frameMax: 1024 } });
    const error = await expectRefused(server, TuneError, 530);
    expect(error.message).toMatch(/frame_max 1024, below the protocol minimum of 4096/);
    expect(server.methods('connection.tune-ok')).toEqual([]);
    expect(server.methods('connection.open')).toEqual([]);
  });

  it('a frame_max of 4095 is refused, 4096 is accepted', async () => {
    await expectRefused(fakeServer({ tune: { frameMax: 4095 } }), TuneError, 530);
    const server = fakeServer({ tune: { frameMax: 4096 } });
    const outcome = await connectFake(server);
    expect(outcome.values).toHaveLength(1);
    expect(outcome.values[0].tune.frameMax).toBe(4096);
    await outcome.values[0].close();
  });
});

describe('methods out of order', () => {
  it('connection.open-ok before tune is an UnexpectedFrameError (505)', async () => {
    const server = fakeServer().handle('connection.start-ok', (_m, s) => s.sendMethod(0, 'connection.open-ok'));
    const error = await expectRefused(server, UnexpectedFrameError, 505);
    expect(error.message).toMatch(/waiting for connection\.tune/);
  });

  it('a second connection.start is an UnexpectedFrameError (505)', async () => {
    const server = fakeServer().handle('connection.start-ok', (_m, s) => s.start());
    await expectRefused(server, UnexpectedFrameError, 505);
  });

  it('connection.close-ok that answers nothing is an UnexpectedFrameError (505)', async () => {
    const server = fakeServer({ onProtocolHeader: (_h, s) => s.sendMethod(0, 'connection.close-ok') });
    await expectRefused(server, UnexpectedFrameError, 505);
  });
});

describe('methods during the handshake', () => {
  async function start(frame: Uint8Array) {
    const server = fakeServer({ onProtocolHeader: (_h, s) => s.send(frame) });
    const outcome = await connectFake(server);
    expect(outcome.values).toEqual([]);
    expect(server.errors).toEqual([]);
    return { outcome, server };
  }

  it('a 10,000-deep nested serverProperties table fails connect() with FrameSyntaxError (502)', async () => {
    const { outcome, server } = await start(startWithTable(deepTable(10_000)));
    expect(outcome.error).toBeInstanceOf(FrameSyntaxError);
    expect((outcome.error as FrameSyntaxError).code).toBe(502);
    expect(server.methods('connection.close')[0].args.replyCode).toBe(502);
  });

  it('an unknown field tag in serverProperties fails connect() with FrameSyntaxError (502)', async () => {
    const entry = concatBytes(Uint8Array.of(1, 0x61, 0x21), u32(0));
    const { outcome } = await start(startWithTable(concatBytes(u32(entry.length), entry)));
    expect(outcome.error).toBeInstanceOf(FrameSyntaxError);
  });

  it('a truncated serverProperties table fails connect() with FrameSyntaxError (502)', async () => {
    const { outcome } = await start(
      rawFrame(1, 0, rawMethodPayload(10, 10, concatBytes(Uint8Array.of(0, 9), u32(5000), Uint8Array.of(1, 0x61)))),
    );
    expect(outcome.error).toBeInstanceOf(FrameSyntaxError);
    expect((outcome.error as FrameSyntaxError).message).toMatch(/truncated/);
  });

  it('an unknown method in place of connection.start fails connect() with UnknownMethodError (540)', async () => {
    const { outcome, server } = await start(rawFrame(1, 0, rawMethodPayload(99, 99)));
    expect(outcome.error).toBeInstanceOf(UnknownMethodError);
    expect(server.methods('connection.close')[0].args.replyCode).toBe(540);
  });

  it('a channel frame during the handshake fails connect() with UnexpectedFrameError (505)', async () => {
    const { outcome } = await start(methodFrame(1, 'channel.open-ok', {}));
    expect(outcome.error).toBeInstanceOf(UnexpectedFrameError);
  });
});

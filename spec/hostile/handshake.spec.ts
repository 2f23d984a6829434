/**
 * A hostile server during the opening handshake: illegal tune values and methods out of
 * order fail `connect()` with a typed error that the client also reports to the server.
 */
import { TuneError, UnexpectedFrameError } from 'rx-amqp';
import { fakeServer, type FakeServer } from 'rx-amqp/testing';
import { connectFake, trapUnhandledErrors } from '../support/fake';

trapUnhandledErrors();

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

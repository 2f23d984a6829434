/**
 * A hostile server breaking the framing layer: every case ends the connection with a typed
 * error, ends every stream on it, and tells the server why with connection.close.
 */
import { FrameError, UnexpectedFrameError } from 'rx-amqp';
import { concatBytes, fakeServer, headerFrame, heartbeatFrame, methodFrame, rawFrame } from 'rx-amqp/testing';
import { connectFake, trapUnhandledErrors } from '../support/fake';
import { expectAllEnded, hit, rig } from './rig';

trapUnhandledErrors();

describe('framing', () => {
  it('a bad frame-end octet is a FrameError (501)', async () => {
    const r = await rig();
    await hit(r, rawFrame(1, 0, Buffer.from([0, 10, 0, 61]), { frameEnd: 0x00 }));
    const error = expectAllEnded(r, FrameError, 501);
    expect(error.message).toMatch(/frame-end octet is 0x00/);
  });

  it('a bad frame-end split over several chunks is a FrameError (501)', async () => {
    const r = await rig();
    const bad = methodFrame(1, 'basic.qos-ok', {});
    bad[bad.length - 1] = 0xcd;
    r.server.sendChunks([bad.subarray(0, 3), bad.subarray(3, 9), bad.subarray(9)]);
    await hit(r, new Uint8Array(0));
    expectAllEnded(r, FrameError, 501);
  });

  it('a frame over the negotiated frame_max is a FrameError (501)', async () => {
    const r = await rig({ tune: { frameMax: 8192 } });
    expect(r.connection.tune.frameMax).toBe(8192);
    await hit(r, rawFrame(3, 1, new Uint8Array(8192 - 8 + 1)));
    const error = expectAllEnded(r, FrameError, 501);
    expect(error.message).toMatch(/exceeds frame_max 8192/);
  });

  it('a frame of exactly frame_max is accepted (the limit counts the 8 bytes of framing)', async () => {
    const r = await rig({ tune: { frameMax: 8192 } });
    const [, c2] = r.channels;
    r.server.send(
      concatBytes(
        methodFrame(2, 'basic.deliver', { consumerTag: 'c2', deliveryTag: 1, exchange: '', routingKey: 'q2' }),
        headerFrame(2, 8192 - 8),
        rawFrame(3, 2, new Uint8Array(8192 - 8)),
      ),
    );
    await r.server.idle();
    expect(r.connect.ended).toBe(false);
    expect(c2.consumer.values).toHaveLength(1);
    expect(c2.consumer.values[0].body.length).toBe(8192 - 8);
    await r.connection.close();
  });

  it('a 4 GiB size field is a FrameError (501) as soon as the header is read, nothing buffered', async () => {
    const r = await rig();
    await hit(r, rawFrame(3, 1, new Uint8Array(0), { size: 0xffffffff }).subarray(0, 7));
    const error = expectAllEnded(r, FrameError, 501);
    expect(error.message).toMatch(/4294967303 bytes exceeds frame_max/);
  });

  it('an unknown frame type is an UnexpectedFrameError (505)', async () => {
    const r = await rig();
    await hit(r, rawFrame(9, 0, Buffer.from('hi')));
    const error = expectAllEnded(r, UnexpectedFrameError, 505);
    expect(error.message).toMatch(/unknown frame type 9/);
  });

  it('a heartbeat on channel 1 is a FrameError (501)', async () => {
    const r = await rig();
    await hit(r, heartbeatFrame(1));
    const error = expectAllEnded(r, FrameError, 501);
    expect(error.message).toMatch(/heartbeat frame on channel 1/);
  });

  it('a content header on channel 0 is an UnexpectedFrameError (505)', async () => {
    const r = await rig();
    await hit(r, rawFrame(2, 0, Buffer.from('003c000000000000000000000000', 'hex')));
    expectAllEnded(r, UnexpectedFrameError, 505);
  });

  it('bad framing during the handshake fails connect() and is told to the server', async () => {
    const server = fakeServer({
      onProtocolHeader: (_h, s) => s.send(rawFrame(1, 0, Buffer.from([0, 10, 0, 10]), { frameEnd: 0xff })),
    });
    const outcome = await connectFake(server);
    expect(outcome.error).toBeInstanceOf(FrameError);
    expect((outcome.error as FrameError).code).toBe(501);
    expect(server.methods('connection.close')[0].args.replyCode).toBe(501);
    expect(server.closedBy).toBe('client-end');
    expect(server.errors).toEqual([]);
  });

  it('bytes after the fatal frame in the same chunk are not processed', async () => {
    const r = await rig();
    const [c1] = r.channels;
    await hit(
      r,
      concatBytes(
        heartbeatFrame(1),
        methodFrame(1, 'queue.declare-ok', { queue: 'pending-1', messageCount: 0, consumerCount: 0 }),
      ),
    );
    expectAllEnded(r, FrameError, 501);
    expect(c1.rpc.values).toEqual([]);
  });

  it('bad input while closing ends the connection with the typed error, without a second connection.close', async () => {
    const r = await rig();
    r.server.handle('connection.close', () => undefined);
    const closing = r.connection.close();
    await r.server.waitFor('connection.close');
    await hit(r, heartbeatFrame(1));
    await closing;
    expect(r.connect.error).toBeInstanceOf(FrameError);
    expect(r.server.methods('connection.close').map((m) => m.args.replyCode)).toEqual([200]);
    expect(r.server.closedBy).toBe('client-destroy');
    expect(r.server.errors).toEqual([]);
  });
});

/**
 * A hostile server sending methods that do not decode or do not belong, once the connection is
 * open: unknown ids, truncated arguments and tables, absurd nesting, unknown field tags,
 * methods for channels that are not open. Each ends the connection with a typed error and ends
 * every stream. The same during the handshake: handshake.spec.ts.
 */
import { AmqpError, FrameSyntaxError, UnexpectedFrameError, UnknownMethodError } from 'rx-amqp';
import { encodeMethod } from 'rx-amqp/protocol';
import { concatBytes, contentFrames, methodFrame, rawFrame, rawMethodPayload } from 'rx-amqp/testing';
import { trapUnhandledErrors } from '../support/fake';
import { deepTable, u32 } from './bytes';
import { expectAllEnded, hit, rig } from './rig';

trapUnhandledErrors();

/** A content header frame (class 60) with only the headers property, given as raw table bytes. */
function headerWithTable(channel: number, bodySize: number, table: Uint8Array): Uint8Array {
  const head = Buffer.alloc(14);
  head.writeUInt16BE(60, 0);
  head.writeUInt32BE(bodySize, 8);
  head.writeUInt16BE(0x2000, 12); // bit 13: headers
  return rawFrame(2, channel, concatBytes(head, table));
}

const deliver = (channel: number) =>
  methodFrame(channel, 'basic.deliver', { consumerTag: `c${channel}`, deliveryTag: 1, exchange: '', routingKey: 'k' });

describe('methods', () => {
  it('an unknown method 99/99 on channel 0 is an UnknownMethodError (540)', async () => {
    const r = await rig();
    await hit(r, rawFrame(1, 0, rawMethodPayload(99, 99)));
    const error = expectAllEnded(r, UnknownMethodError, 540) as UnknownMethodError;
    expect(error.classId).toBe(99);
    expect(error.methodId).toBe(99);
  });

  it('an unknown method 99/99 on an open channel is an UnknownMethodError (540)', async () => {
    const r = await rig();
    await hit(r, rawFrame(1, 1, rawMethodPayload(99, 99, Buffer.from('junk'))));
    expectAllEnded(r, UnknownMethodError, 540);
  });

  it('a method frame too short for its ids is a FrameSyntaxError (502)', async () => {
    const r = await rig();
    await hit(r, rawFrame(1, 1, Uint8Array.of(0, 60)));
    expectAllEnded(r, FrameSyntaxError, 502);
  });

  it('a delivery on a channel that is not open is a channel error (504)', async () => {
    const r = await rig();
    await hit(r, contentFrames(5, 'basic.deliver', { consumerTag: 'x', deliveryTag: 1 }, 'hi'));
    const error = expectAllEnded(r, AmqpError, 504);
    expect(error.message).toMatch(/channel 5, which is not open/);
  });

  it('a stray channel.close-ok for a channel that is not open is tolerated (crossed close handshakes)', async () => {
    const r = await rig();
    r.server.sendMethod(9, 'channel.close-ok');
    await r.server.idle();
    expect(r.connect.ended).toBe(false);
    expect(r.channels.every((c) => !c.rpc.ended && !c.consumer.ended)).toBe(true);
    await r.connection.close();
  });

  it('truncated method arguments are a FrameSyntaxError (502)', async () => {
    const r = await rig();
    const payload = encodeMethod('basic.deliver', {
      consumerTag: 'c1',
      deliveryTag: 7,
      exchange: 'ex',
      routingKey: 'rk',
    });
    await hit(r, rawFrame(1, 1, payload.subarray(0, payload.length - 3)));
    const error = expectAllEnded(r, FrameSyntaxError, 502);
    expect(error.message).toMatch(/truncated/);
  });

  it('bytes after the last argument are a FrameSyntaxError (502)', async () => {
    const r = await rig();
    await hit(r, rawFrame(1, 1, concatBytes(encodeMethod('basic.qos-ok', {}), Uint8Array.of(1, 2, 3))));
    expectAllEnded(r, FrameSyntaxError, 502);
  });

  it('a truncated table in a content header is a FrameSyntaxError (502)', async () => {
    const r = await rig();
    const table = concatBytes(u32(100), Uint8Array.of(1, 0x61, 0x53), u32(1), Buffer.from('x'));
    await hit(r, concatBytes(deliver(1), headerWithTable(1, 0, table)));
    const error = expectAllEnded(r, FrameSyntaxError, 502);
    expect(error.message).toMatch(/truncated table/);
  });

  it('a long string running past its table is a FrameSyntaxError (502)', async () => {
    const r = await rig();
    const entry = concatBytes(Uint8Array.of(1, 0x61, 0x53), u32(1000), Buffer.from('xy'));
    await hit(r, concatBytes(deliver(1), headerWithTable(1, 0, concatBytes(u32(entry.length), entry))));
    expectAllEnded(r, FrameSyntaxError, 502);
  });

  it('a 10,000-deep nested table in a content header is a FrameSyntaxError (502), not a stack overflow', async () => {
    const r = await rig();
    await hit(r, concatBytes(deliver(1), headerWithTable(1, 0, deepTable(10_000))));
    const error = expectAllEnded(r, FrameSyntaxError, 502);
    expect(error.message).toMatch(/nested deeper than 64/);
  });

  it('an unknown field tag is a FrameSyntaxError (502)', async () => {
    const r = await rig();
    const entry = concatBytes(Uint8Array.of(1, 0x61, 0x5a), u32(0));
    await hit(r, concatBytes(deliver(1), headerWithTable(1, 0, concatBytes(u32(entry.length), entry))));
    const error = expectAllEnded(r, FrameSyntaxError, 502);
    expect(error.message).toMatch(/unknown field tag 0x5a/);
  });

  it('a 10,000-deep table in 0-8 channel.alert (a method with a table) is a FrameSyntaxError (502)', async () => {
    const r = await rig({ protocol: '0-8' }, { protocol: '0-8' });
    const args = concatBytes(Uint8Array.of(0x01, 0xf4), Uint8Array.of(2), Buffer.from('hi'), deepTable(10_000));
    await hit(r, rawFrame(1, 1, rawMethodPayload(20, 30, args)));
    expectAllEnded(r, FrameSyntaxError, 502);
  });

  it('a reply nobody asked for is an UnexpectedFrameError (505)', async () => {
    const r = await rig();
    await hit(r, methodFrame(1, 'basic.qos-ok', {}));
    const error = expectAllEnded(r, UnexpectedFrameError, 505);
    expect(error.message).toMatch(/awaiting a reply to queue.declare/);
  });

  it('a basic.publish from the server is an UnexpectedFrameError (505)', async () => {
    const r = await rig();
    await hit(r, contentFrames(1, 'basic.publish', { exchange: '', routingKey: 'x' }, 'x'));
    expectAllEnded(r, UnexpectedFrameError, 505);
  });

  it('a connection.tune after the handshake is an UnexpectedFrameError (505)', async () => {
    const r = await rig();
    await hit(r, methodFrame(0, 'connection.tune', { channelMax: 1, frameMax: 4096, heartbeat: 0 }));
    expectAllEnded(r, UnexpectedFrameError, 505);
  });
});

/**
 * A hostile server breaking content assembly: bodies out of order or too long, content
 * headers in the wrong place, bodies over the client's maxBodySize.
 */
import { FrameError, FrameSyntaxError, MessageTooLargeError, UnexpectedFrameError } from 'rx-amqp';
import { bodyFrame, concatBytes, headerFrame, methodFrame, rawFrame } from 'rx-amqp/testing';
import { trapUnhandledErrors } from '../support/fake';
import { expectAllEnded, hit, rig } from './rig';

trapUnhandledErrors();

const deliver = (channel: number, tag = 1) =>
  methodFrame(channel, 'basic.deliver', {
    consumerTag: `c${channel}`,
    deliveryTag: tag,
    exchange: '',
    routingKey: 'k',
  });

describe('content', () => {
  it('a body frame before any header is an UnexpectedFrameError (505)', async () => {
    const r = await rig();
    await hit(r, bodyFrame(1, 'orphan'));
    const error = expectAllEnded(r, UnexpectedFrameError, 505);
    expect(error.message).toMatch(/body frame on channel 1 before a content header/);
  });

  it('a body frame right after the method (header skipped) is an UnexpectedFrameError (505)', async () => {
    const r = await rig();
    await hit(r, concatBytes(deliver(1), bodyFrame(1, 'early')));
    expectAllEnded(r, UnexpectedFrameError, 505);
  });

  it('a content header without a content method is an UnexpectedFrameError (505)', async () => {
    const r = await rig();
    await hit(r, headerFrame(1, 3));
    expectAllEnded(r, UnexpectedFrameError, 505);
  });

  it('a method in the middle of a body is an UnexpectedFrameError (505)', async () => {
    const r = await rig();
    await hit(r, concatBytes(deliver(1), headerFrame(1, 10), bodyFrame(1, 'abc'), deliver(1, 2)));
    expectAllEnded(r, UnexpectedFrameError, 505);
  });

  it('a body longer than its header declared is a FrameError (501)', async () => {
    const r = await rig();
    await hit(r, concatBytes(deliver(1), headerFrame(1, 3), bodyFrame(1, 'abcde')));
    const error = expectAllEnded(r, FrameError, 501);
    expect(error.message).toMatch(/exceeds the 3 declared/);
  });

  it('a body that grows past its size over several frames is a FrameError (501)', async () => {
    const r = await rig();
    await hit(r, concatBytes(deliver(1), headerFrame(1, 5), bodyFrame(1, 'abc'), bodyFrame(1, 'def')));
    expectAllEnded(r, FrameError, 501);
  });

  it('a content header of another class is a FrameSyntaxError (502)', async () => {
    const r = await rig();
    await hit(r, concatBytes(deliver(1), rawFrame(2, 1, Buffer.from('0046000000000000000000000000', 'hex'))));
    expectAllEnded(r, FrameSyntaxError, 502);
  });

  it('a body size over maxBodySize is a MessageTooLargeError (311), refused before any body arrives', async () => {
    const r = await rig({}, { maxBodySize: 1024 });
    await hit(r, concatBytes(deliver(2), headerFrame(2, 1025)));
    const error = expectAllEnded(r, MessageTooLargeError, 311) as MessageTooLargeError;
    expect(error.size).toBe(1025);
    expect(error.limit).toBe(1024);
  });

  it('a body size of 2^64 - 1 is a MessageTooLargeError (311)', async () => {
    const r = await rig();
    await hit(r, concatBytes(deliver(1), headerFrame(1, 2n ** 64n - 1n)));
    const error = expectAllEnded(r, MessageTooLargeError, 311) as MessageTooLargeError;
    expect(error.size).toBe(2n ** 64n - 1n);
  });

  it('a body of exactly maxBodySize is delivered', async () => {
    const r = await rig({}, { maxBodySize: 1024 });
    const [c1] = r.channels;
    r.server.send(concatBytes(deliver(1), headerFrame(1, 1024), bodyFrame(1, new Uint8Array(1024))));
    await r.server.idle();
    expect(c1.consumer.values).toHaveLength(1);
    expect(r.connect.ended).toBe(false);
    await r.connection.close();
  });

  it('a basic.get-ok nobody asked for is an UnexpectedFrameError (505)', async () => {
    const r = await rig();
    await hit(
      r,
      concatBytes(
        methodFrame(2, 'basic.get-ok', { deliveryTag: 1, exchange: '', routingKey: 'k', messageCount: 0 }),
        headerFrame(2, 0),
      ),
    );
    expectAllEnded(r, UnexpectedFrameError, 505);
  });
});

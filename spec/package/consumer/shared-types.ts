// Not from the README: the three entry points share one set of types and one runtime, so what
// rx-amqp/testing and rx-amqp/protocol make is what rx-amqp's API takes.
import type { AmqpError, Channel, Delivery, Message, Connection } from 'rx-amqp';
import { AmqpError as ProtocolAmqpError, type encodeFrame, type Frame } from 'rx-amqp/protocol';
import { type FakeChannel, delivery, encodeFrame as testingEncodeFrame, fakeChannel } from 'rx-amqp/testing';

const c: Channel = fakeChannel();
const f: FakeChannel = fakeChannel({ confirm: 'ack' });
const d: Delivery = delivery('x');
const m: Message = d;
const e: AmqpError = new ProtocolAmqpError('same class');
const frame: Frame = { type: 1, channel: 0, payload: new Uint8Array(0) };
const bytes: Uint8Array = testingEncodeFrame(frame);
const sameEncoder: typeof encodeFrame = testingEncodeFrame;
const connection: Connection | undefined = undefined;

export { c, f, m, e, bytes, sameEncoder, connection };

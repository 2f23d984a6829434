// A CommonJS consumer (`require` conditions: dist/*.d.ts) sees the same types as an ES module one.
import { type Channel, ChannelClosedError, type PublishToResult } from 'rx-amqp';
import { fakeChannel } from 'rx-amqp/testing';
import { decodeTable } from 'rx-amqp/protocol';

const channel: Channel = fakeChannel();
const isChannelClosed = (error: unknown): error is ChannelClosedError => error instanceof ChannelClosedError;
const result: PublishToResult<string> | undefined = undefined;
const table = decodeTable(new Uint8Array([0, 0, 0, 0]));

export { channel, isChannelClosed, result, table };

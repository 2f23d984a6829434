/**
 * Cases the mutation fuzzer (scripts/fuzz, `npm run fuzz`) found, kept as regression tests.
 * Each names the seed that found it (replay: `npm run fuzz -- --replay SEED`).
 */
import { lastValueFrom } from 'rxjs';
import { FrameSyntaxError, Message, type Channel } from 'rx-amqp';
import { contentFrames, fakeServer, methodFrame, type FakeServer } from 'rx-amqp/testing';
import { openFake, record, trapUnhandledErrors, type FakeConnection } from '../support/fake';

trapUnhandledErrors();

/** A delivery tag past 2^53: the codec decodes such a longlong as a bigint. */
const HUGE_TAG = 2n ** 60n;

/** A connection to a fake server with channel 1 open in confirm mode. */
async function confirmChannel(): Promise<FakeConnection & { server: FakeServer; channel: Channel }> {
  const server = fakeServer();
  server.answer('confirm.select', 'confirm.select-ok');
  const fake = await openFake(server);
  const channel = await fake.connection.openChannel(1);
  await lastValueFrom(channel.confirmSelect(), { defaultValue: undefined });
  return { ...fake, server, channel };
}

/** Expects the connection to have ended with a FrameSyntaxError (502) told to the server. */
function expectSyntaxError(r: FakeConnection & { server: FakeServer }): FrameSyntaxError {
  expect(r.outcome.errored).toBe(true);
  const error = r.outcome.error as FrameSyntaxError;
  expect(error).toBeInstanceOf(FrameSyntaxError);
  expect(error.code).toBe(502);
  expect(error.message).toMatch(/delivery tag 1152921504606846976 is beyond 2\^53/);
  expect(r.connection.state).toBe('closed');
  expect(r.server.methods('connection.close').map((m) => m.args.replyCode)).toEqual([502]);
  expect(r.server.errors).toEqual([]);
  return error;
}

describe('found by the fuzzer', () => {
  // Seed 0x2e766b66 of `npm run fuzz -- --seed 0x5eed0010`: a basic.ack whose delivery tag had
  // a high byte set decoded as a bigint, and settling it threw "Cannot mix BigInt and other
  // types" out of the confirm tracker: the connection ended with that TypeError, untyped.
  // basic.deliver already refused such a tag with a FrameSyntaxError; ack and nack now do too.
  it.each([
    ['basic.ack', false],
    ['basic.nack', false],
    ['basic.ack', true],
    ['basic.nack', true],
  ] as const)(
    'a %s (multiple: %s) with a delivery tag past 2^53 is a FrameSyntaxError (502)',
    async (name, multiple) => {
      const r = await confirmChannel();
      const published = record(r.channel.publish(new Message('one'), '', 'q'));
      await r.server.idle();
      r.server.send(methodFrame(1, name, { deliveryTag: HUGE_TAG, multiple }));
      await r.server.idle();
      await r.connection.closed;
      const error = expectSyntaxError(r);
      expect(published.error).toBe(error);
    },
  );

  // Found while fixing the case above (by reading, not by a seed): basic.get-ok made a Delivery
  // whose deliveryTag was a bigint, typed as a number.
  it('a basic.get-ok with a delivery tag past 2^53 is a FrameSyntaxError (502)', async () => {
    const server = fakeServer();
    server.handle('basic.get', () =>
      server.send(
        contentFrames(
          1,
          'basic.get-ok',
          { deliveryTag: HUGE_TAG, redelivered: false, exchange: '', routingKey: 'q', messageCount: 0 },
          'x',
        ),
      ),
    );
    const fake = await openFake(server);
    const channel = await fake.connection.openChannel(1);
    const got = record(channel.basicGet('q'));
    await server.idle();
    await fake.connection.closed;
    const error = expectSyntaxError({ ...fake, server });
    expect(got.values).toEqual([]);
    expect(got.error).toBe(error);
  });
});

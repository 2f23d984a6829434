import {
  type ArgsOf,
  asMethod,
  decodeMethodAt,
  type IncomingMethod,
  type IncomingMethodName,
  type OutgoingMethodName,
} from '../../lib/protocol/dispatch';
import type { MessageProperties } from '../../lib/message';
import { FrameSyntaxError } from '../../lib/protocol/errors';
import type { FieldTable } from '../../lib/protocol/field-types';
import { decodeMethod, encodeMethod } from '../../lib/protocol/method-codec';
import { methodTable } from '../../lib/protocol/method-table';
import { Reader, toSafeNumber } from '../../lib/protocol/reader';

/** Compile-time check that `A` and `B` are the same type. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const typeIs = <T extends true>(): T => true as T;

/** Decodes a method payload the way the connection's hot path does. */
function decodeFrom(payload: Uint8Array, protocol: '0-9-1' | '0-8' = '0-9-1') {
  const buf = Buffer.from(payload);
  const def = methodTable(protocol).lookup(buf.readUInt16BE(0), buf.readUInt16BE(2));
  return decodeMethodAt(def, buf, 4, buf.length, protocol);
}

describe('typed dispatch (lib/protocol/dispatch.ts)', () => {
  it('decodeMethodAt gives { name, args } that a switch narrows', () => {
    const m = decodeFrom(encodeMethod('basic.consume-ok', { consumerTag: 'ctag-1' }));
    let seen = '';
    switch (m.name) {
      case 'basic.consume-ok':
        seen = m.args.consumerTag;
        break;
      case 'channel.close':
        seen = `${m.args.replyCode} ${m.args.replyText}`;
        break;
    }
    expect(seen).toBe('ctag-1');
    expect(m).toEqual({ name: 'basic.consume-ok', args: { consumerTag: 'ctag-1' } });
  });

  it('decodes 0-8-only methods with their 0-8 arguments', () => {
    const m = decodeFrom(encodeMethod('connection.redirect', { host: 'h:5672', knownHosts: '' }, '0-8'), '0-8');
    expect(m.name === 'connection.redirect' && m.args.host).toBe('h:5672');
  });

  it('asMethod types arguments decoded elsewhere', () => {
    const def = methodTable('0-9-1').named('basic.get-ok');
    const m = asMethod(def, { deliveryTag: 7, redelivered: false, exchange: 'x', routingKey: 'k', messageCount: 0 });
    expect(m.name === 'basic.get-ok' && m.args.messageCount).toBe(0);
  });

  it('classifies directions: what a client receives and what it sends', () => {
    typeIs<Same<Extract<IncomingMethodName, 'basic.deliver'>, 'basic.deliver'>>();
    typeIs<Same<Extract<OutgoingMethodName, 'basic.deliver'>, never>>();
    typeIs<Same<Extract<IncomingMethodName, 'basic.publish'>, never>>();
    typeIs<Same<Extract<IncomingMethodName, 'connection.start-ok'>, never>>();
    typeIs<Same<Extract<OutgoingMethodName, 'connection.start-ok'>, 'connection.start-ok'>>();
    // both ways
    typeIs<Same<Extract<IncomingMethodName & OutgoingMethodName, 'basic.ack'>, 'basic.ack'>>();
    typeIs<Same<Extract<IncomingMethodName & OutgoingMethodName, 'channel.close-ok'>, 'channel.close-ok'>>();
    // a reply travels opposite to its request; 0-8's redirect answers connection.open
    typeIs<
      Same<
        Extract<IncomingMethodName, 'connection.redirect' | 'queue.declare-ok'>,
        'connection.redirect' | 'queue.declare-ok'
      >
    >();
    typeIs<Same<ArgsOf<'channel.close'>['replyCode'], number>>();
    typeIs<Same<Extract<IncomingMethod, { name: 'basic.ack' }>['args']['deliveryTag'], number | bigint>>();
    expect(true).toBe(true);
  });

  it('the generic codec stays lossless for 64-bit values; the client checks what it keeps as numbers', () => {
    const bytes = encodeMethod('basic.ack', { deliveryTag: 2n ** 60n });
    const m = decodeMethod(bytes);
    expect(m.name === 'basic.ack' && m.args.deliveryTag).toBe(2n ** 60n);
    expect(() => toSafeNumber(2n ** 60n, 'delivery tag')).toThrow(
      new FrameSyntaxError(`delivery tag ${2n ** 60n} is beyond 2^53`),
    );
    expect(toSafeNumber(2 ** 53 - 1, 'delivery tag')).toBe(2 ** 53 - 1);
    const r = new Reader(Buffer.from(bytes), 4, bytes.length);
    expect(() => r.longlongNumber('delivery tag')).toThrow(FrameSyntaxError);
    expect(new Reader(Buffer.from(encodeMethod('basic.ack', { deliveryTag: 5 })), 4, 12).longlongNumber('tag')).toBe(5);
  });
});

describe('MessageProperties (generated as BasicProperties)', () => {
  it('keeps the public shape: 14 optional properties, timestamp a Date, headers a field table', () => {
    type Expected = {
      contentType?: string;
      contentEncoding?: string;
      headers?: FieldTable;
      deliveryMode?: number;
      priority?: number;
      correlationId?: string;
      replyTo?: string;
      expiration?: string;
      messageId?: string;
      timestamp?: Date;
      type?: string;
      userId?: string;
      appId?: string;
      clusterId?: string;
    };
    typeIs<Same<MessageProperties, Expected>>();
    typeIs<Same<keyof MessageProperties, keyof Expected>>();
    expect(methodTable('0-9-1').basicProperties.names).toEqual([
      'contentType',
      'contentEncoding',
      'headers',
      'deliveryMode',
      'priority',
      'correlationId',
      'replyTo',
      'expiration',
      'messageId',
      'timestamp',
      'type',
      'userId',
      'appId',
      'clusterId',
    ]);
    expect(methodTable('0-8').basicProperties).toBe(methodTable('0-8').properties.get(60));
  });
});

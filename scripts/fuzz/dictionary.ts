/**
 * Well-formed frames a broker may send unprompted or in answer to something, built with the
 * codec (lib/testing/frames.ts) on the recording's own channel and consumer tags: channel and
 * connection closes, consumer cancels, acks and nacks for tags that exist and that do not,
 * returns, deliveries, flow, blocked, and (0-8) the file/stream/alert methods RabbitMQ never
 * sends. Spliced into a recording they take the client into states the recorded session
 * never reached; the byte-level mutations then corrupt them like any other frame.
 */
import { bodyFrame, contentFrames, headerFrame, heartbeatFrame, methodFrame } from '../../lib/testing/frames';
import type { MethodName } from '../../lib/protocol/method-codec';
import type { Protocol } from '../../lib/protocol/protocol-version';
import type { Recording } from './recording';

/** Frames (or frame groups, such as a content method with its header and body) to splice in. */
export function dictionary(recording: Recording, protocol: Protocol): Buffer[] {
  const text = Buffer.concat(recording.segments.map((s) => s.bytes)).toString('latin1');
  const tags = [...new Set(text.match(/amq\.ctag-[A-Za-z0-9_-]{22}/g) ?? [])];
  const tag = (i: number) => tags[i % Math.max(1, tags.length)] ?? 'amq.ctag-unknown';
  const queue = Object.values(recording.params)[0] ?? 'q';
  const out: Buffer[] = [];
  const add = (build: () => Uint8Array) => {
    try {
      out.push(Buffer.from(build()));
    } catch {
      // a method this dialect lacks
    }
  };
  const m = (channel: number, name: MethodName, args: Record<string, unknown> = {}) =>
    add(() => methodFrame(channel, name, args, protocol));
  const content = (
    channel: number,
    name: MethodName,
    args: Record<string, unknown>,
    body: string,
    properties: Record<string, unknown> = {},
  ) => add(() => contentFrames(channel, name, args, body, properties, { protocol }));

  for (const ch of [1, 1, 2]) {
    m(ch, 'channel.close', {
      replyCode: 404,
      replyText: `NOT_FOUND - no queue '${queue}' in vhost '/'`,
      classId: 50,
      methodId: 10,
    });
    m(ch, 'channel.close', {
      replyCode: 406,
      replyText: 'PRECONDITION_FAILED - unknown delivery tag 1',
      classId: 60,
      methodId: 80,
    });
    m(ch, 'channel.close-ok');
    m(ch, 'channel.open-ok');
    m(ch, 'channel.flow', { active: false });
    m(ch, 'channel.flow', { active: true });
    m(ch, 'channel.flow-ok', { active: true });
    m(ch, 'basic.cancel', { consumerTag: tag(ch), nowait: true });
    m(ch, 'basic.cancel-ok', { consumerTag: tag(ch) });
    m(ch, 'basic.consume-ok', { consumerTag: tag(ch + 1) });
    for (const deliveryTag of [1, 3, 6, 7, 1000]) {
      m(ch, 'basic.ack', { deliveryTag, multiple: deliveryTag % 2 === 0 });
      m(ch, 'basic.nack', { deliveryTag, multiple: deliveryTag > 5, requeue: false });
    }
    m(ch, 'basic.ack', { deliveryTag: 0, multiple: true });
    content(
      ch,
      'basic.return',
      { replyCode: 312, replyText: 'NO_ROUTE', exchange: '', routingKey: queue },
      '{"id":4,"to":"x"}',
      { messageId: 'order-4' },
    );
    content(
      ch,
      'basic.deliver',
      { consumerTag: tag(0), deliveryTag: 2, redelivered: true, exchange: '', routingKey: queue },
      '{"id":2}',
    );
    content(
      ch,
      'basic.deliver',
      { consumerTag: 'amq.ctag-nobody', deliveryTag: 9, redelivered: false, exchange: '', routingKey: queue },
      'x',
    );
    content(
      ch,
      'basic.deliver',
      { consumerTag: tag(1), deliveryTag: 5, redelivered: false, exchange: '', routingKey: queue },
      '',
    );
    content(
      ch,
      'basic.get-ok',
      { deliveryTag: 8, redelivered: false, exchange: '', routingKey: queue, messageCount: 0 },
      'got',
    );
    m(ch, 'basic.get-empty', { clusterId: '' });
    m(ch, 'basic.qos-ok');
    m(ch, 'basic.recover-ok');
    m(ch, 'confirm.select-ok');
    m(ch, 'queue.declare-ok', { queue, messageCount: 0, consumerCount: 0 });
    m(ch, 'queue.delete-ok', { messageCount: 3 });
    m(ch, 'channel.alert', { replyCode: 310, replyText: 'alert', details: {} });
    add(() =>
      methodFrame(
        ch,
        'basic.deliver',
        { consumerTag: tag(0), deliveryTag: 4, redelivered: false, exchange: '', routingKey: queue },
        protocol,
      ),
    );
    add(() => headerFrame(ch, 5, { contentType: 'application/json' }, protocol));
    add(() => headerFrame(ch, 0xffffffff, {}, protocol));
    add(() => bodyFrame(ch, '{"i":'));
    add(() => heartbeatFrame(ch));
    content(
      ch,
      'file.deliver',
      { consumerTag: tag(0), deliveryTag: 3, redelivered: false, exchange: '', routingKey: queue, identifier: 'f' },
      'file',
      {},
    );
    content(ch, 'stream.deliver', { consumerTag: tag(0), deliveryTag: 3, exchange: '', queue }, 'stream', {});
  }
  m(0, 'connection.blocked', { reason: 'low on memory' });
  m(0, 'connection.unblocked');
  m(0, 'connection.close', {
    replyCode: 320,
    replyText: "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'",
    classId: 0,
    methodId: 0,
  });
  m(0, 'connection.close', { replyCode: 541, replyText: 'INTERNAL_ERROR', classId: 0, methodId: 0 });
  m(0, 'connection.close-ok');
  m(0, 'connection.update-secret-ok');
  m(0, 'connection.tune', { channelMax: 0, frameMax: 4096, heartbeat: 1 });
  m(0, 'connection.secure', { challenge: 'x' });
  m(0, 'connection.redirect', { host: 'elsewhere:5672', knownHosts: '' });
  add(() => heartbeatFrame(0));
  return out;
}

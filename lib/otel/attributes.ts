import type { Attributes } from '@opentelemetry/api';
import type { PeerInfo, PublishContext } from '../diagnostics/channels';
import type { ProcessContext } from '../diagnostics/process-channel';

/**
 * Attribute names of the OpenTelemetry messaging semantic conventions (RabbitMQ flavour) that
 * rx-amqp's spans and metrics carry. Spelled out here rather than imported from
 * `@opentelemetry/semantic-conventions`, whose messaging names are still "incubating" and not a
 * dependency of this entry.
 */
export const Attr = {
  SYSTEM: 'messaging.system',
  OPERATION_NAME: 'messaging.operation.name',
  OPERATION_TYPE: 'messaging.operation.type',
  DESTINATION_NAME: 'messaging.destination.name',
  ROUTING_KEY: 'messaging.rabbitmq.destination.routing_key',
  DELIVERY_TAG: 'messaging.rabbitmq.message.delivery_tag',
  MESSAGE_ID: 'messaging.message.id',
  CONVERSATION_ID: 'messaging.message.conversation_id',
  BODY_SIZE: 'messaging.message.body.size',
  SERVER_ADDRESS: 'server.address',
  SERVER_PORT: 'server.port',
  PROTOCOL_NAME: 'network.protocol.name',
  PROTOCOL_VERSION: 'network.protocol.version',
  ERROR_TYPE: 'error.type',
} as const;

/** `network.protocol.version` of a dialect. */
function protocolVersion(peer: PeerInfo): string {
  return peer.protocol === '0-8' ? '0.8' : '0.9.1';
}

/** Attributes every span and metric of a connection shares. */
function peerAttributes(peer: PeerInfo, into: Attributes): Attributes {
  into[Attr.SYSTEM] = 'rabbitmq';
  if (peer.serverAddress) into[Attr.SERVER_ADDRESS] = peer.serverAddress;
  if (peer.serverPort) into[Attr.SERVER_PORT] = peer.serverPort;
  into[Attr.PROTOCOL_NAME] = 'amqp';
  into[Attr.PROTOCOL_VERSION] = protocolVersion(peer);
  return into;
}

/** Attributes of a PRODUCER span `publish <exchange>`. */
export function publishAttributes(ctx: PublishContext): Attributes {
  const a = peerAttributes(ctx.peer, {});
  a[Attr.OPERATION_NAME] = 'publish';
  a[Attr.OPERATION_TYPE] = 'send';
  a[Attr.DESTINATION_NAME] = ctx.exchange;
  if (ctx.routingKey) a[Attr.ROUTING_KEY] = ctx.routingKey;
  const p = ctx.message.properties;
  if (p.messageId !== undefined) a[Attr.MESSAGE_ID] = p.messageId;
  if (p.correlationId !== undefined) a[Attr.CONVERSATION_ID] = p.correlationId;
  a[Attr.BODY_SIZE] = ctx.message.body.length;
  return a;
}

/** Attributes of a CONSUMER span `<queue> process`. */
export function processAttributes(ctx: ProcessContext): Attributes {
  const d = ctx.delivery;
  const a = peerAttributes(ctx.peer, {});
  a[Attr.OPERATION_NAME] = 'process';
  a[Attr.OPERATION_TYPE] = 'process';
  a[Attr.DESTINATION_NAME] = d.exchange;
  if (d.routingKey) a[Attr.ROUTING_KEY] = d.routingKey;
  a[Attr.DELIVERY_TAG] = d.deliveryTag;
  const p = d.properties;
  if (p.messageId !== undefined) a[Attr.MESSAGE_ID] = p.messageId;
  if (p.correlationId !== undefined) a[Attr.CONVERSATION_ID] = p.correlationId;
  a[Attr.BODY_SIZE] = d.body.length;
  return a;
}

const metricAttributeCache = new WeakMap<PeerInfo, Map<string, Readonly<Attributes>>>();

/**
 * The few attributes metrics are broken down by (low cardinality: no ids, no keys). Cached per
 * connection, operation and destination: the same frozen object every time (copy it to add to it).
 */
export function metricAttributes(peer: PeerInfo, operation: string, destination: string): Readonly<Attributes> {
  let byKey = metricAttributeCache.get(peer);
  if (byKey === undefined) {
    byKey = new Map();
    metricAttributeCache.set(peer, byKey);
  }
  const key = `${operation}\u0000${destination}`;
  let a = byKey.get(key);
  if (a === undefined) {
    const fresh: Attributes = {
      [Attr.SYSTEM]: 'rabbitmq',
      [Attr.OPERATION_NAME]: operation,
      [Attr.DESTINATION_NAME]: destination,
    };
    if (peer.serverAddress) fresh[Attr.SERVER_ADDRESS] = peer.serverAddress;
    if (peer.serverPort) fresh[Attr.SERVER_PORT] = peer.serverPort;
    // A connection publishing to many exchanges must not grow this without bound.
    if (byKey.size < 1000) byKey.set(key, Object.freeze(fresh));
    a = fresh;
  }
  return a;
}

/** `error.type`: the error's class name (`PublishNackedError`, `MessageReturnedError`, ...). */
export function errorType(error: unknown): string {
  if (error instanceof Error) return error.constructor.name || error.name || 'Error';
  return '_OTHER';
}

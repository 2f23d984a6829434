/**
 * rx-amqp: an AMQP 0-9-1 / 0-8 client whose native shape is RxJS.
 * @packageDocumentation
 */
export { connect, open } from './connection/connect';
export { Connection } from './connection/connection';
export type { ConnectionState } from './connection/connection-core';
export type { ConnectOptions, ReconnectPolicy, Mechanism } from './connection/options';
export type { TuneResult } from './connection/handshake';
export type { Transport, TransportEvents, TransportFactory, Endpoint } from './connection/transport';
export { socketTransport } from './connection/transport';
export { parseAmqpUrl, redactUrl, UrlError, type AmqpUrl } from './connection/url';
export { Credentials } from './connection/credentials';
export * from './connection/errors';
export {
  Channel,
  type AccessRequestOptions,
  type BindOptions,
  type ConsumeOptions,
  type ExchangeDeclareOptions,
  type PublishOptions,
  type PublishResult,
  type Publishable,
  type QueueDeclareOk,
  type QueueDeclareOptions,
  type TicketOption,
} from './channel/channel';
export { Message, type MessageProperties } from './message';
export { Delivery, ReturnedMessage } from './delivery';
export * from './protocol/errors';
export { Decimal, field, TaggedValue, type FieldTable, type FieldValue } from './protocol/field-types';
export type { Protocol } from './protocol/protocol-version';
export { VERSION } from './version';

/**
 * rx-amqp: an AMQP 0-9-1 / 0-8 client whose native shape is RxJS.
 * @packageDocumentation
 */
export { connect, open } from './connection/connect';
export { Connection, Channel, Delivery } from './facades';
export type { ConnectionState } from './connection/connection-core';
export type { ConnectOptions, ReconnectPolicy, Mechanism } from './connection/options';
export type { TuneResult } from './connection/handshake';
export type { Transport, TransportEvents, TransportFactory, Endpoint } from './connection/transport';
export { socketTransport } from './connection/transport';
export { parseAmqpUrl, redactUrl, UrlError, type AmqpUrl, type AmqpHost, type AmqpTlsOptions } from './connection/url';
export { Credentials, type AuthMechanism } from './connection/credentials';
export {
  CredentialsProviderError,
  type CredentialsOption,
  type CredentialsValue,
} from './connection/credentials-source';
export { isRecoverable, endOnRecoverable } from './connection/recovery';
export type { ConnectionStatus, EndpointInfo } from './connection/status';
export * from './connection/errors';
export * from './channel/errors';
export * from './operators/errors';
export type {
  AccessRequestOptions,
  BindOptions,
  ConsumeOptions,
  ExchangeDeclareOptions,
  PublishOptions,
  QueueDeclareOk,
  QueueDeclareOptions,
  TicketOption,
} from './channel/channel-options';
export type { PublishResult } from './channel/publish-call';
export type { Publishable } from './channel/publishable';
export { Message, type MessageProperties } from './message';
export type { QueueFeatures, QueueType, StreamOffset } from './channel/queue-arguments';
export {
  withFilterValue,
  streamFilterValue,
  STREAM_FILTER_VALUE_HEADER,
  type StreamFilterOptions,
} from './channel/stream-filter';
export { openChannel, type OpenChannelOptions } from './operators/open-channel';
export { accessRequest } from './operators/access-request';
export { declareExchange } from './operators/declare-exchange';
export { declareQueue } from './operators/declare-queue';
export { bindQueue } from './operators/bind-queue';
export { bindExchange } from './operators/bind-exchange';
export { perform, type QueueName } from './operators/perform';
export { consume, type ConsumeOperatorOptions } from './operators/consume';
export { ackEach, type AckEachOptions } from './operators/ack-each';
export { ackAfter, type AckAfterOptions, type FailureAction } from './operators/ack-after';
export { ackAfterBatch, type AckAfterBatchOptions } from './operators/ack-after-batch';
export type { FailurePolicy } from './operators/failure-action';
export {
  publishTo,
  type PublishToOptions,
  type PublishToResult,
  type PublishToResultBase,
  type PublishStatus,
} from './operators/publish-to';
export { rpcCall, type RpcCallOptions } from './rpc/rpc-call';
export { serveRpc, type RpcServed, type ServeRpcOptions } from './rpc/serve-rpc';
export { DIRECT_REPLY_TO } from './rpc/reply-router';
export { ReturnedMessage } from './delivery';
export * from './protocol/errors';
export { Decimal, field, TaggedValue, type FieldTable, type FieldValue } from './protocol/field-types';
export type { Protocol } from './protocol/protocol-version';
export { VERSION } from './version';
export {
  PUBLISH_CHANNEL,
  PROCESS_CHANNEL,
  CONNECTION_CHANNEL,
  type PublishContext,
  type ConnectionEvent,
  type PeerInfo,
} from './diagnostics/channels';
export type { ProcessContext } from './diagnostics/process-channel';
export type { DebugOptions } from './diagnostics/frame-log';

import type { FieldTable } from '../protocol/field-types';
import type { Protocol } from '../protocol/protocol-version';
import { VERSION } from '../version';

/**
 * The client-properties table of connection.start-ok. In 0-9-1 it advertises the RabbitMQ
 * extensions rx-amqp implements; 0-8 tables cannot carry booleans, so there it names the
 * client only.
 */
export function clientProperties(
  protocol: Protocol,
  extra: FieldTable,
  connectionName: string | undefined,
): FieldTable {
  const base: FieldTable = {
    product: 'rx-amqp',
    version: VERSION,
    platform: `Node.js ${process.version}`,
    information: 'https://www.npmjs.com/package/rx-amqp',
  };
  if (protocol === '0-9-1') {
    base.capabilities = {
      publisher_confirms: true,
      exchange_exchange_bindings: true,
      'basic.nack': true,
      consumer_cancel_notify: true,
      'connection.blocked': true,
      authentication_failure_close: true,
      per_consumer_qos: true,
      direct_reply_to: true,
    };
  }
  if (connectionName !== undefined) base.connection_name = connectionName;
  return { ...base, ...extra };
}

/**
 * Tune negotiation (the rule RabbitMQ's clients use): 0 means "no limit", so when either
 * side says 0 the other's value stands, otherwise the lower one.
 */
export function negotiate(client: number, server: number): number {
  return client === 0 || server === 0 ? Math.max(client, server) : Math.min(client, server);
}

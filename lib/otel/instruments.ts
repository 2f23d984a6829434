import type { Counter, Histogram, Meter, UpDownCounter } from '@opentelemetry/api';

/** The metric instruments of rx-amqp (names and meaning in the README, "Observability"). */
export interface Instruments {
  published: Counter;
  confirmed: Counter;
  nacked: Counter;
  returned: Counter;
  publishDuration: Histogram;
  unconfirmed: UpDownCounter;
  consumed: Counter;
  processDuration: Histogram;
  redeliveries: Counter;
  reconnects: Counter;
  blocked: Histogram;
}

/** Creates the instruments on `meter`. Messaging semconv names where one exists, else `rx_amqp.*`. */
export function createInstruments(meter: Meter): Instruments {
  return {
    published: meter.createCounter('messaging.client.sent.messages', {
      unit: '{message}',
      description: 'Messages written to the broker (basic.publish)',
    }),
    confirmed: meter.createCounter('rx_amqp.publish.confirmed', {
      unit: '{message}',
      description: 'Publishes the broker confirmed (basic.ack)',
    }),
    nacked: meter.createCounter('rx_amqp.publish.nacked', {
      unit: '{message}',
      description: 'Publishes the broker refused (basic.nack)',
    }),
    returned: meter.createCounter('rx_amqp.publish.returned', {
      unit: '{message}',
      description: 'Mandatory publishes the broker returned as unroutable (confirm mode)',
    }),
    publishDuration: meter.createHistogram('messaging.client.operation.duration', {
      unit: 's',
      description: 'From publish to settlement: the confirm in confirm mode, else the socket write',
    }),
    unconfirmed: meter.createUpDownCounter('rx_amqp.publish.unconfirmed', {
      unit: '{message}',
      description: 'Publishes awaiting their confirm',
    }),
    consumed: meter.createCounter('messaging.client.consumed.messages', {
      unit: '{message}',
      description: 'Deliveries handed to an ackAfter/serveRpc handler',
    }),
    processDuration: meter.createHistogram('messaging.process.duration', {
      unit: 's',
      description: 'Duration of ackAfter/serveRpc handlers',
    }),
    redeliveries: meter.createCounter('rx_amqp.consume.redelivered', {
      unit: '{message}',
      description: 'Deliveries flagged redelivered',
    }),
    reconnects: meter.createCounter('rx_amqp.connection.reconnects', {
      unit: '{reconnect}',
      description: 'Lost connections followed by a reconnect attempt',
    }),
    blocked: meter.createHistogram('rx_amqp.connection.blocked.duration', {
      unit: 's',
      description: 'Time the broker blocked publishing (connection.blocked to unblocked)',
    }),
  };
}

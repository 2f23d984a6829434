import type { FieldTable } from './protocol/field-types';

/** The 14 basic content properties, camelCase. Absent ones are undefined. */
export interface MessageProperties {
  contentType?: string;
  contentEncoding?: string;
  headers?: FieldTable;
  /** 1 transient, 2 persistent. */
  deliveryMode?: number;
  /** 0..255 (RabbitMQ honours 0..9 by default). */
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  /** Per-message TTL in milliseconds, as a string (AMQP's type for it). */
  expiration?: string;
  messageId?: string;
  /** Whole seconds on the wire. */
  timestamp?: Date;
  type?: string;
  userId?: string;
  appId?: string;
  clusterId?: string;
}

const textDecoder = new TextDecoder('utf-8');

/**
 * A message body with its properties. A string body is encoded as UTF-8 and, unless the
 * properties say otherwise, `contentEncoding` is set to `'UTF-8'`.
 */
export class Message {
  /** The body bytes. */
  readonly body: Buffer;
  /** The content properties. */
  readonly properties: MessageProperties;

  constructor(body: string | Uint8Array = '', properties: MessageProperties = {}) {
    if (Buffer.isBuffer(body)) {
      this.body = body;
      this.properties = properties;
    } else if (typeof body === 'string') {
      this.body = Buffer.from(body, 'utf8');
      this.properties =
        properties.contentEncoding === undefined ? { ...properties, contentEncoding: 'UTF-8' } : properties;
    } else if (body instanceof Uint8Array) {
      this.body = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      this.properties = properties;
    } else {
      throw new TypeError(`a message body is a string or a Uint8Array, not ${body === null ? 'null' : typeof body}`);
    }
  }

  /** A JSON message: the value serialised, `contentType: 'application/json'`. */
  static json(value: unknown, properties: MessageProperties = {}): Message {
    return new Message(JSON.stringify(value), { contentType: 'application/json', ...properties });
  }

  /** The body decoded as text (UTF-8, or Latin-1 when `contentEncoding` says so). */
  get text(): string {
    const enc = this.properties.contentEncoding?.toLowerCase();
    if (enc === 'latin1' || enc === 'latin-1' || enc === 'iso-8859-1') return this.body.toString('latin1');
    return textDecoder.decode(this.body);
  }

  /** The body parsed as JSON. */
  json<T = unknown>(): T {
    return JSON.parse(this.text) as T;
  }

  /** Shorthands for common properties. */
  get headers(): FieldTable | undefined {
    return this.properties.headers;
  }
}

import type { FieldTable } from './protocol/field-types';
import type { BasicProperties } from './protocol/generated/methods-0-9-1';

/**
 * The 14 basic content properties, camelCase. Absent ones are undefined. Generated from the
 * AMQP spec (`BasicProperties`, the type the content-header codec encodes and decodes).
 */
export interface MessageProperties extends BasicProperties {}

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

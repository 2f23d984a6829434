/**
 * Credentials and the SASL responses built from them. The password lives in a true private
 * field, so logging, inspecting, spreading or serialising a {@link Credentials} never shows it;
 * only the {@link Credentials.password} getter and {@link saslResponse} read it.
 */
import { inspect, type InspectOptions } from 'node:util';
import { AmqpError } from '../protocol/errors';
import { encodeTable } from '../protocol/table-codec';

/** What `util.inspect` hands a custom inspector (@types/node renames its own type between versions). */
interface InspectContext extends InspectOptions {
  stylize(text: string, styleType: string): string;
}

/** What {@link Credentials} shows in place of the password. */
export const REDACTED = '***';

/** A SASL mechanism rx-amqp can answer: `PLAIN`, `AMQPLAIN` or `EXTERNAL`. */
export type AuthMechanism = 'PLAIN' | 'AMQPLAIN' | 'EXTERNAL';

/** The SASL mechanisms rx-amqp can answer, in the order of preference of their names. */
export const AUTH_MECHANISMS: readonly AuthMechanism[] = ['PLAIN', 'AMQPLAIN', 'EXTERNAL'];

/** Whether a value names a supported SASL mechanism (exact, upper-case). */
export function isAuthMechanism(value: unknown): value is AuthMechanism {
  return typeof value === 'string' && (AUTH_MECHANISMS as readonly string[]).includes(value);
}

/** The default username and password of the URI spec (RabbitMQ's `guest` user). */
export const DEFAULT_USERNAME = 'guest';
/** The default password of the URI spec. */
export const DEFAULT_PASSWORD = 'guest';

/**
 * A username and password. The password is kept in a private field and is shown as `***` by
 * `util.inspect` / `console.log`, `JSON.stringify` and `String()`; read it with
 * {@link Credentials.password} only where it is sent.
 */
export class Credentials {
  /** The user name, as sent to the broker. Not secret. */
  readonly username: string;
  readonly #password: string;

  /**
   * @param username the user name (default `guest`)
   * @param password the password (default `guest`)
   */
  constructor(username: string = DEFAULT_USERNAME, password: string = DEFAULT_PASSWORD) {
    if (typeof username !== 'string') throw new TypeError('Credentials: username must be a string');
    if (typeof password !== 'string') throw new TypeError('Credentials: password must be a string');
    this.username = username;
    this.#password = password;
  }

  /** The password in clear. Never log it. */
  get password(): string {
    return this.#password;
  }

  /** `{ username, password: '***' }`: what `JSON.stringify` writes. */
  toJSON(): { username: string; password: string } {
    return { username: this.username, password: REDACTED };
  }

  /** `Credentials(user:***)`; never the password. */
  toString(): string {
    return `Credentials(${this.username}:${REDACTED})`;
  }

  /** @internal What `util.inspect` and `console.log` show: the username and `***`. */
  [inspect.custom](_depth: number, options: InspectContext, inspectFn: typeof inspect = inspect): string {
    const password = options.stylize(`'${REDACTED}'`, 'string');
    return `Credentials { username: ${inspectFn(this.username, options)}, password: ${password} }`;
  }
}

/**
 * The response of `connection.start-ok` for a mechanism:
 * - `PLAIN` (RFC 4616): `\0username\0password`, UTF-8;
 * - `AMQPLAIN`: the field table `{ LOGIN, PASSWORD }` without its 4-byte size prefix;
 * - `EXTERNAL`: empty (the identity comes from the TLS client certificate).
 *
 * The result holds the password in clear: write it to the socket, never log it.
 * Throws {@link AmqpError} (without quoting either value) for an unknown mechanism, for
 * strings that are not well-formed Unicode, and for a NUL in a `PLAIN` username or password.
 */
export function saslResponse(mechanism: AuthMechanism, credentials: Credentials): Buffer {
  if (!isAuthMechanism(mechanism)) throw new AmqpError('unsupported SASL mechanism');
  if (mechanism === 'EXTERNAL') return Buffer.alloc(0);
  const { username, password } = credentials;
  if (!username.isWellFormed() || !password.isWellFormed()) {
    throw new AmqpError(`${mechanism}: username or password is not well-formed Unicode`);
  }
  if (mechanism === 'PLAIN') {
    if (username.includes('\0') || password.includes('\0')) {
      throw new AmqpError('PLAIN: username or password contains a NUL character');
    }
    return Buffer.from(`\0${username}\0${password}`, 'utf8');
  }
  // AMQPLAIN: RabbitMQ reads the response as the body of a field table, without the long-uint
  // size that encodeTable puts first.
  return Buffer.from(encodeTable({ LOGIN: username, PASSWORD: password }).subarray(4));
}

/** The result of `parseAmqpUrl` and the types its parts share. */
import type { AuthMechanism, Credentials } from './credentials';

/** One broker address. `hostname` is percent-decoded; IPv6 literals come without brackets. */
export interface AmqpHost {
  hostname: string;
  port: number;
}

/** TLS settings from the query of an `amqps://` URL (RabbitMQ's names in comments). */
export interface AmqpTlsOptions {
  /** `cacertfile`: path of the CA certificate(s) file. */
  caFile?: string;
  /** `certfile`: path of the client certificate file. */
  certFile?: string;
  /** `keyfile`: path of the client private key file. */
  keyFile?: string;
  /** `verify`: whether to check the server's certificate chain. */
  verify?: 'verify_peer' | 'verify_none';
  /**
   * `server_name_indication`: the name sent as SNI and checked against the certificate.
   * RabbitMQ's Erlang client takes the value `disable` to send none; it is kept verbatim.
   */
  serverName?: string;
}

/**
 * A parsed AMQP URL. Addresses, credentials and vhost are always set (defaults filled in);
 * the tuning fields, `locale`, the auth mechanisms and `tlsOptions` only when the URL gives
 * them, so that explicit connect options can take precedence.
 */
export interface AmqpUrl {
  /** `true` for `amqps://`. */
  tls: boolean;
  /** The first host of {@link AmqpUrl.hosts}. */
  hostname: string;
  /** The port of the first host of {@link AmqpUrl.hosts}. */
  port: number;
  /** Every host of the authority, in order; one element unless the URL lists a cluster. */
  hosts: AmqpHost[];
  /** Username and password (default `guest` / `guest`); the password never prints. */
  credentials: Credentials;
  /** The virtual host, percent-decoded: `/` when the path is empty or a bare `/`. */
  vhost: string;
  /** `heartbeat`: seconds, 0..65535 (0 asks for no heartbeats). */
  heartbeat?: number;
  /** `frame_max`: bytes, 0 (no limit) or 4096..2^32-1. */
  frameMax?: number;
  /** `channel_max`: 0 (no limit) ..65535. */
  channelMax?: number;
  /** `connection_timeout`: milliseconds, a non-negative integer. */
  connectionTimeout?: number;
  /** The first of {@link AmqpUrl.authMechanisms}. */
  authMechanism?: AuthMechanism;
  /** `auth_mechanism`: upper-cased and de-duplicated, in the order given (comma list or repeated). */
  authMechanisms?: AuthMechanism[];
  /** `locale`: the locale asked for in `connection.start-ok`. */
  locale?: string;
  /** TLS file paths and verification from the query (only on `amqps://`). */
  tlsOptions?: AmqpTlsOptions;
}

/** Signals a parse failure; never returns. */
export type Fail = (reason: string, cause?: unknown) => never;
/** Percent-decodes a component, failing with the component's name. */
export type Decode = (raw: string, what: string) => string;

/**
 * What a connection assumes when neither the URL nor the options say otherwise. One definition
 * each: the URL parser, the option resolver and the connection read them from here.
 */
import type { AuthMechanism } from './credentials';

/** Port of `amqp://` when the URL names none (IANA's `amqp`). */
export const AMQP_PORT = 5672;
/** Port of `amqps://` (TLS) when the URL names none (IANA's `amqps`). */
export const AMQPS_PORT = 5671;
/** Host when the URL's authority names none (`amqp://`, `amqp://:5673`, `amqp:///vh`). */
export const DEFAULT_HOSTNAME = 'localhost';
/** Virtual host when the URL's path is empty: `amqp://host` and `amqp://host/` (see parseVhost). */
export const DEFAULT_VHOST = '/';
/** The broker `connect()` uses without a URL: the `guest` user on this machine, vhost `/`. */
export const DEFAULT_URL = `amqp://guest:guest@${DEFAULT_HOSTNAME}:${AMQP_PORT}`;

/** channel_max rx-amqp proposes (RabbitMQ's own default). */
export const DEFAULT_CHANNEL_MAX = 2047;
/** ms allowed for the TCP connect plus the handshake. */
export const DEFAULT_CONNECTION_TIMEOUT = 30_000;
/** ms a graceful close may take before the socket is destroyed. */
export const DEFAULT_CLOSE_TIMEOUT = 10_000;
/** Largest message body accepted from the server, in bytes: 512 MiB, RabbitMQ's maximum. */
export const DEFAULT_MAX_BODY_SIZE = 512 * 1024 * 1024;
/** The locale asked for in connection.start-ok. */
export const DEFAULT_LOCALE = 'en_US';
/** The SASL mechanism used when neither the options nor the URL name one. */
export const DEFAULT_MECHANISM: AuthMechanism = 'PLAIN';

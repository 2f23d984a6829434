/**
 * Parsing of `amqp://` and `amqps://` URLs per the RabbitMQ URI spec
 * (https://www.rabbitmq.com/docs/uri-spec) and its query parameters
 * (https://www.rabbitmq.com/docs/uri-query-parameters), plus a comma-separated host list for
 * clusters. Pure: no I/O, no DNS.
 *
 * The URL is split by hand rather than with WHATWG `URL`, which has no host lists, accepts and
 * rewrites things the spec forbids and decodes leniently. Every failure is a {@link UrlError}
 * whose message quotes only {@link redactUrl}'s form of the URL and never any piece of the
 * userinfo.
 */
import { isIPv6 } from 'node:net';
import { AmqpError } from '../protocol/errors';
import { Credentials, REDACTED } from './credentials';
import { AMQP_PORT, AMQPS_PORT, DEFAULT_HOSTNAME, DEFAULT_VHOST } from './defaults';
import { parseQuery } from './url-query';
import type { AmqpHost, AmqpUrl, Decode, Fail } from './url-types';
import { PORT_MAX, SHORTSTR_MAX } from './wire-limits';

export type { AmqpHost, AmqpTlsOptions, AmqpUrl } from './url-types';

/**
 * An AMQP URL (or host) that cannot be parsed. When the URL is passed, the message and
 * {@link UrlError.url} quote it only in the redacted form of {@link redactUrl}; the password is
 * never part of the error.
 */
export class UrlError extends AmqpError {
  /** The offending URL, redacted by {@link redactUrl}; undefined when none was given. */
  readonly url: string | undefined;

  /**
   * @param reason what is wrong; must not quote any part of the userinfo
   * @param url the URL as given: only its redacted form is kept, and the message becomes
   *   `invalid AMQP URL "<redacted>": <reason>`
   */
  constructor(reason: string, url?: string, options?: { cause?: unknown }) {
    const redacted = url === undefined ? undefined : redactUrl(url);
    const message = redacted === undefined ? reason : `invalid AMQP URL ${JSON.stringify(redacted)}: ${reason}`;
    super(message, undefined, options);
    this.url = redacted;
  }
}

/**
 * The URL with the password of its userinfo (and any `password=` query value) replaced by
 * `***`: `amqp://user:***@host/vh`. Best effort and safe on URLs that do not parse: everything
 * between the first `:` after `scheme://` and the last `@` of the string is hidden, so an
 * unencoded `@`, `/`, `?` or `#` in the password cannot leak it (at worst more is hidden).
 */
export function redactUrl(url: string): string {
  if (typeof url !== 'string') return '[not a string]';
  const sep = url.indexOf('://');
  const start = sep >= 0 ? sep + 3 : 0;
  const at = url.lastIndexOf('@');
  const colon = url.indexOf(':', start);
  const hidden = colon >= 0 && colon < at ? url.slice(0, colon + 1) + REDACTED + url.slice(at) : url;
  return hidden.replace(/([?&;]password=)[^&#;]*/gi, `$1${REDACTED}`);
}

/**
 * Parses an `amqp://` or `amqps://` URL. Defaults: host `localhost`, port 5672 (5671 for
 * `amqps`), user and password `guest`, vhost `/` when the path is empty (`amqp://host` or
 * `amqp://host/`, as amqplib and pika read it; the spec's letter would make the latter `""`).
 *
 * - Userinfo, host and vhost are percent-decoded (`%2F` is `/`); a second unencoded `/` in the
 *   path is an error. The userinfo ends at the last `@` of the authority.
 * - The authority may list several hosts: `amqp://u:p@h1:5672,h2,[::1]:5673/vh`.
 * - Query values are form-decoded (`+` is a space). Known parameters: `heartbeat`, `frame_max`,
 *   `channel_max`, `connection_timeout`, `auth_mechanism` (comma list or repeated), `locale`,
 *   and on `amqps://` only `cacertfile`, `certfile`, `keyfile`, `verify`,
 *   `server_name_indication`. Parameter names are case-sensitive; unknown ones are ignored, a
 *   known one given twice (other than `auth_mechanism`) is an error.
 * - Surrounding whitespace is trimmed; whitespace or control characters inside, and a
 *   `#fragment`, are errors.
 *
 * @throws {UrlError} for anything else the spec does not allow, or an out-of-range value.
 */
export function parseAmqpUrl(url: string): AmqpUrl {
  if (typeof url !== 'string') throw new UrlError('an AMQP URL must be a string');
  const text = url.trim();
  const fail = (reason: string, cause?: unknown): never => {
    throw new UrlError(reason, text, cause === undefined ? undefined : { cause });
  };
  const decode = (raw: string, what: string): string => {
    try {
      return decodeURIComponent(raw);
    } catch (e) {
      return fail(`invalid percent-encoding in the ${what}`, e);
    }
  };

  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects.
  if (/[\x00-\x20\x7f]/.test(text)) fail('whitespace or control characters must be percent-encoded');
  const parts = splitUrl(text, fail);
  const tls = parts.scheme === 'amqps';
  const defaultPort = tls ? AMQPS_PORT : AMQP_PORT;

  const credentials = parseUserinfo(parts.userinfo, decode);
  const hosts = parseHosts(parts.hosts, defaultPort, decode, fail);
  const vhost = parseVhost(parts.path, decode, fail);
  const query = parseQuery(parts.query, tls, decode, fail);

  return { tls, hostname: hosts[0].hostname, port: hosts[0].port, hosts, credentials, vhost, ...query };
}

/** The raw components of a URL, before decoding. */
interface UrlParts {
  scheme: 'amqp' | 'amqps';
  userinfo: string | undefined;
  hosts: string;
  path: string;
  query: string | undefined;
}

/** Splits `scheme://[userinfo@]hosts[/path][?query]` (RFC 3986 delimiters). */
function splitUrl(text: string, fail: Fail): UrlParts {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text)?.[1].toLowerCase();
  if (scheme === undefined) return fail('expected a URL starting with amqp:// or amqps://');
  if (scheme !== 'amqp' && scheme !== 'amqps') {
    return fail(`unsupported scheme "${scheme}"; expected amqp or amqps`);
  }
  const rest = text.slice(scheme.length + 1);
  if (!rest.startsWith('//')) return fail(`expected "//" and an authority after "${scheme}:"`);
  if (rest.includes('#')) return fail('a fragment is not allowed (percent-encode "#" as %23)');

  const m = /^\/\/([^/?]*)([^?]*)(?:\?(.*))?$/s.exec(rest)!;
  const [, authority, path, query] = m;
  const at = authority.lastIndexOf('@');
  return {
    scheme,
    userinfo: at >= 0 ? authority.slice(0, at) : undefined,
    hosts: authority.slice(at + 1),
    path,
    query,
  };
}

/** `user[:password]`; a missing user or password takes the default `guest`. */
function parseUserinfo(userinfo: string | undefined, decode: Decode): Credentials {
  if (userinfo === undefined) return new Credentials();
  const colon = userinfo.indexOf(':');
  if (colon < 0) return new Credentials(decode(userinfo, 'username'));
  const username = decode(userinfo.slice(0, colon), 'username');
  return new Credentials(username, decode(userinfo.slice(colon + 1), 'password'));
}

/**
 * The comma-separated host list. A lone empty host means the default (`amqp://`,
 * `amqp://:5673`); an empty entry in a list is an error.
 */
function parseHosts(list: string, defaultPort: number, decode: Decode, fail: Fail): AmqpHost[] {
  const entries = list.split(',');
  return entries.map((entry, i) => {
    const where = entries.length > 1 ? `host ${i + 1} of ${entries.length}` : 'host';
    const { host, port } = parseHost(entry, where, decode, fail);
    if (host === '' && entries.length > 1) fail(`${where} is empty`);
    return { hostname: host === '' ? DEFAULT_HOSTNAME : host, port: parsePort(port, defaultPort, where, fail) };
  });
}

/** `host[:port]` or `[ipv6]` `[:port]`; the host decoded and checked, the port raw. */
function parseHost(entry: string, where: string, decode: Decode, fail: Fail): { host: string; port?: string } {
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']');
    if (close < 0) return fail(`${where}: unterminated IPv6 literal`);
    const after = entry.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) fail(`${where}: unexpected characters after the IPv6 literal`);
    // RFC 6874: a zone id is written "%25eth0" inside the brackets.
    const host = decode(entry.slice(1, close), where);
    if (!isIPv6(host)) fail(`${where}: invalid IPv6 literal`);
    return { host, port: after === '' ? undefined : after.slice(1) };
  }
  const colon = entry.indexOf(':');
  if (colon !== entry.lastIndexOf(':')) fail(`${where}: an IPv6 address must be enclosed in [brackets]`);
  const host = decode(colon < 0 ? entry : entry.slice(0, colon), where);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are among what it rejects.
  if (/[\x00-\x20\x7f/?#@[\]:,%\\<>^|"`{}]/.test(host)) fail(`${where}: invalid character in the host name`);
  return { host, port: colon < 0 ? undefined : entry.slice(colon + 1) };
}

/** A port of 1..65535; absent or empty (`host:`, RFC 3986) means the scheme's default. */
function parsePort(raw: string | undefined, defaultPort: number, where: string, fail: Fail): number {
  if (raw === undefined || raw === '') return defaultPort;
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(port >= 1 && port <= PORT_MAX)) fail(`${where}: the port must be an integer 1..65535`);
  return port;
}

/**
 * The path: none and a bare `/` give the default vhost, `/x` gives decoded `x`.
 *
 * The letter of the URI spec reads `amqp://host/` as the vhost `""`; amqplib,
 * @cloudamqp/amqp-client and pika all read it as `/`, and users copy such URLs from them, so
 * the habit wins. The empty vhost stays reachable through the `vhost: ''` option.
 */
function parseVhost(path: string, decode: Decode, fail: Fail): string {
  if (path === '' || path === '/') return DEFAULT_VHOST;
  const raw = path.slice(1);
  // The spec's vhost is one path segment: a "/" inside the name must be sent as %2F.
  if (raw.includes('/')) fail('the path must be a single segment (encode a "/" in the vhost as %2F)');
  const vhost = decode(raw, 'vhost');
  if (Buffer.byteLength(vhost) > SHORTSTR_MAX) fail('the vhost is longer than 255 bytes of UTF-8');
  return vhost;
}

import { asyncScheduler, isObservable, type Observer, type SchedulerLike } from 'rxjs';
import type * as tls from 'node:tls';
import { readFileSync } from 'node:fs';
import type { FieldTable } from '../protocol/field-types';
import { isProtocol, type Protocol } from '../protocol/protocol-version';
import { DEFAULT_FRAME_MAX, FRAME_MIN_SIZE } from '../protocol/frame';
import { Credentials, isAuthMechanism, type AuthMechanism } from './credentials';
import { HiddenCredentialsOption, type CredentialsOption } from './credentials-source';
import {
  AMQP_PORT,
  AMQPS_PORT,
  DEFAULT_CHANNEL_MAX,
  DEFAULT_CLOSE_TIMEOUT,
  DEFAULT_CONNECTION_TIMEOUT,
  DEFAULT_LOCALE,
  DEFAULT_MAX_BODY_SIZE,
  DEFAULT_MECHANISM,
  DEFAULT_URL,
} from './defaults';
import { parseAmqpUrl, UrlError, type AmqpUrl } from './url';
import { CHANNEL_MAX_LIMIT, FRAME_MAX_LIMIT, HEARTBEAT_MAX, PORT_MAX } from './wire-limits';
import { socketTransport, type Endpoint, type TransportFactory } from './transport';
import type { ConnectionSettings } from './settings';
import type { ConnectionStatus } from './status';
import { withFrameLog, type DebugOptions } from '../diagnostics/frame-log';

/** SASL mechanisms rx-amqp can log in with (the same as {@link AuthMechanism}). */
export type Mechanism = AuthMechanism;

/** Backoff policy for automatic reconnection. */
export interface ReconnectPolicy {
  /** First delay in ms (default 100). */
  initialDelay?: number;
  /** Largest delay in ms (default 30000). */
  maxDelay?: number;
  /** Growth factor per attempt (default 2). */
  multiplier?: number;
  /** Random spread as a fraction of the delay, 0..1 (default 0.2). */
  jitter?: number;
  /**
   * Connection attempts before giving up (default Infinity): at most this many attempts in a
   * row fail, the first connect included (`maxAttempts: 3` tries the first connect and two
   * retries); after a connection that was open is lost, up to this many reconnect attempts.
   */
  maxAttempts?: number;
}

/** Options of `connect()` and `open()`. Explicit options win over the URL. */
export interface ConnectOptions {
  /** An AMQP URI; default `amqp://guest:guest@localhost:5672/`. */
  url?: string;
  /** Brokers of a cluster, tried in turn: `"host:port"` strings, URLs or objects. */
  hosts?: Array<string | { hostname: string; port?: number }>;
  /** Dialect: `'0-9-1'` (default) or `'0-8'`. */
  protocol?: Protocol;
  username?: string;
  password?: string;
  /**
   * Credentials that may change: a `{ username, password }` pair, a function returning one (or
   * a Promise of one) that is called on every connection attempt, reconnects included, or an
   * Observable of them whose new values an open connection gets as `connection.update-secret`
   * (0-9-1). Wins over `username`, `password` and the URL's. See `CredentialsOption`.
   */
  credentials?: CredentialsOption;
  /** Virtual host; wins over the URL's. `''` is the empty vhost (a URL cannot name it). */
  vhost?: string;
  /** Heartbeat in seconds; 0 disables; default: the server's proposal. */
  heartbeat?: number;
  /** Largest frame in bytes (default 131072). */
  frameMax?: number;
  /** Highest channel number (default 2047). */
  channelMax?: number;
  locale?: string;
  /** Extra client properties (merged over the defaults). */
  clientProperties?: FieldTable;
  /** Shown in the management UI as the connection's name. */
  connectionName?: string;
  mechanism?: Mechanism;
  /** TLS: `true`, or Node `tls.connect` options (implies amqps). */
  tls?: boolean | tls.ConnectionOptions;
  /** ms allowed for TCP connect plus the handshake (default 30000). */
  connectionTimeout?: number;
  /** ms a graceful close may take before the socket is destroyed (default 10000). */
  closeTimeout?: number;
  /** Largest message body accepted from the server, in bytes (default 512 MiB). */
  maxBodySize?: number;
  /**
   * Reconnect with backoff instead of erroring: `true` for the default policy. Hosts rotate on
   * each failure. Login refusals, unknown vhosts and protocol mismatches are not retried.
   */
  reconnect?: boolean | ReconnectPolicy;
  /** Receives the connection's status changes (connecting, open, blocked, disconnected, closed). */
  status?: Partial<Observer<ConnectionStatus>>;
  /** Byte-stream factory (tests inject fakes). Default: TCP/TLS sockets. */
  transport?: TransportFactory;
  /** Scheduler for every timer (heartbeats, timeouts, backoff). Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
  /**
   * Frame tracing for debugging: `true` or `{ frames: true }` prints every frame in and out to
   * stderr (secrets redacted), `{ frames: true, log }` or a function sends the lines there.
   * The environment variable `RX_AMQP_DEBUG=frames` turns it on too. Off by default.
   */
  debug?: boolean | DebugOptions | ((line: string) => void);
}

/** Options with every default applied: one connection's settings, plus what `connect()` uses. */
export interface ResolvedOptions extends ConnectionSettings {
  /** The `credentials` option, asked per attempt by `connect()` (see `CredentialsSource`); hidden from inspect. */
  credentialsProvider: HiddenCredentialsOption | undefined;
  reconnect: Required<ReconnectPolicy> | undefined;
  status: Partial<Observer<ConnectionStatus>> | undefined;
}

/** Longest delay a timer can take (setTimeout's signed 32-bit milliseconds). */
const TIMER_MAX = 2 ** 31 - 1;
/** The policy of `reconnect: true`, and what a partial policy leaves out (see {@link ReconnectPolicy}). */
const DEFAULT_RECONNECT: Readonly<Required<ReconnectPolicy>> = {
  initialDelay: 100,
  maxDelay: 30_000,
  multiplier: 2,
  jitter: 0.2,
  maxAttempts: Infinity,
};

/** Applies defaults and merges the URL with explicit options. Throws `UrlError` / `TypeError`. */
export function resolveOptions(input: string | ConnectOptions | undefined): ResolvedOptions {
  const opts: ConnectOptions = typeof input === 'string' ? { url: input } : (input ?? {});
  if (typeof opts !== 'object') throw new TypeError('connect() takes a URL string or an options object');
  const url: AmqpUrl = parseAmqpUrl(opts.url ?? DEFAULT_URL);
  const protocol = opts.protocol ?? '0-9-1';
  if (!isProtocol(protocol)) throw new TypeError(`protocol must be '0-9-1' or '0-8', not ${String(protocol)}`);

  const tlsWanted = opts.tls !== undefined ? opts.tls !== false : url.tls;
  const tlsOptions = { ...tlsFromUrl(url), ...(typeof opts.tls === 'object' ? opts.tls : {}) };
  const defaultPort = tlsWanted ? AMQPS_PORT : AMQP_PORT;
  // amqp:// with `tls: true` moves the default port 5672 to amqps' 5671.
  const hosts = opts.hosts?.length
    ? opts.hosts.map((h) => toHost(h, defaultPort))
    : url.hosts.map((h) => ({
        hostname: h.hostname,
        port: tlsWanted && !url.tls && h.port === AMQP_PORT ? AMQPS_PORT : h.port,
      }));
  const endpoints: Endpoint[] = hosts.map((h) => ({
    hostname: h.hostname,
    port: h.port,
    tls: tlsWanted,
    tlsOptions: tlsWanted ? tlsOptions : undefined,
  }));

  const username = opts.username ?? url.credentials.username;
  const password = opts.password ?? url.credentials.password;
  const heartbeat = opts.heartbeat ?? url.heartbeat;
  const frameMax = opts.frameMax ?? url.frameMax ?? DEFAULT_FRAME_MAX;
  const channelMax = opts.channelMax ?? url.channelMax ?? DEFAULT_CHANNEL_MAX;
  checkInt('heartbeat', heartbeat, 0, HEARTBEAT_MAX);
  checkInt('frameMax', frameMax, 0, FRAME_MAX_LIMIT);
  if (frameMax !== 0 && frameMax < FRAME_MIN_SIZE)
    throw new TypeError(`frameMax must be 0 or at least ${FRAME_MIN_SIZE}`);
  checkInt('channelMax', channelMax, 0, CHANNEL_MAX_LIMIT);
  const connectionTimeout = opts.connectionTimeout ?? url.connectionTimeout ?? DEFAULT_CONNECTION_TIMEOUT;
  checkInt('connectionTimeout', connectionTimeout, 0, TIMER_MAX);
  const mechanism: unknown = opts.mechanism ?? url.authMechanism ?? DEFAULT_MECHANISM;
  if (!isAuthMechanism(mechanism)) throw new TypeError(`unsupported mechanism ${String(mechanism)}`);

  return {
    endpoints,
    protocol,
    credentials: new Credentials(username, password),
    credentialsProvider: checkCredentialsOption(opts.credentials),
    vhost: opts.vhost ?? url.vhost,
    heartbeat,
    frameMax,
    channelMax,
    locale: opts.locale ?? url.locale ?? DEFAULT_LOCALE,
    clientProperties: opts.clientProperties ?? {},
    connectionName: opts.connectionName,
    mechanism,
    connectionTimeout,
    closeTimeout: opts.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT,
    maxBodySize: opts.maxBodySize ?? DEFAULT_MAX_BODY_SIZE,
    reconnect: resolveReconnect(opts.reconnect),
    status: opts.status,
    transport: withFrameLog(opts.transport ?? socketTransport, opts.debug, protocol),
    scheduler: opts.scheduler ?? asyncScheduler,
  };
}

function checkCredentialsOption(c: ConnectOptions['credentials']): HiddenCredentialsOption | undefined {
  if (c === undefined) return undefined;
  if (typeof c === 'function' || isObservable(c)) return new HiddenCredentialsOption(c);
  if (typeof c !== 'object' || c === null || typeof c.username !== 'string' || typeof c.password !== 'string') {
    throw new TypeError(
      'credentials must be { username, password } strings, a function returning them, or an Observable of them',
    );
  }
  return new HiddenCredentialsOption({ username: c.username, password: c.password });
}

function resolveReconnect(r: ConnectOptions['reconnect']): Required<ReconnectPolicy> | undefined {
  if (!r) return undefined;
  const p = r === true ? {} : r;
  return {
    initialDelay: p.initialDelay ?? DEFAULT_RECONNECT.initialDelay,
    maxDelay: p.maxDelay ?? DEFAULT_RECONNECT.maxDelay,
    multiplier: p.multiplier ?? DEFAULT_RECONNECT.multiplier,
    jitter: p.jitter ?? DEFAULT_RECONNECT.jitter,
    maxAttempts: p.maxAttempts ?? DEFAULT_RECONNECT.maxAttempts,
  };
}

function toHost(
  h: string | { hostname: string; port?: number },
  defaultPort: number,
): { hostname: string; port: number } {
  if (typeof h === 'object') return { hostname: h.hostname, port: h.port ?? defaultPort };
  if (/^amqps?:\/\//i.test(h)) return parseAmqpUrl(h).hosts[0];
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(h);
  if (!m) throw new UrlError(`not a host or host:port: ${h}`);
  const port = m[3] ? Number(m[3]) : defaultPort;
  if (port < 1 || port > PORT_MAX) throw new UrlError(`port out of range in ${h}`);
  return { hostname: m[1] ?? m[2], port };
}

function tlsFromUrl(url: AmqpUrl): tls.ConnectionOptions {
  const t = url.tlsOptions;
  if (!t) return {};
  const out: tls.ConnectionOptions = {};
  if (t.caFile) out.ca = readFileSync(t.caFile);
  if (t.certFile) out.cert = readFileSync(t.certFile);
  if (t.keyFile) out.key = readFileSync(t.keyFile);
  if (t.verify === 'verify_none') out.rejectUnauthorized = false;
  if (t.serverName) out.servername = t.serverName;
  return out;
}

function checkInt(name: string, v: number | undefined, min: number, max: number): void {
  if (v === undefined) return;
  if (!Number.isInteger(v) || v < min || v > max)
    throw new TypeError(`${name} must be an integer ${min}..${max}, not ${v}`);
}

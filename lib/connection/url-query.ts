/**
 * The query of an AMQP URL (https://www.rabbitmq.com/docs/uri-query-parameters): tuning, auth
 * mechanisms, locale, and the TLS parameters of `amqps://`.
 */
import { FRAME_MIN_SIZE } from '../protocol/frame';
import { AUTH_MECHANISMS, isAuthMechanism, type AuthMechanism } from './credentials';
import type { AmqpTlsOptions, AmqpUrl, Decode, Fail } from './url-types';
import { CHANNEL_MAX_LIMIT, FRAME_MAX_LIMIT, HEARTBEAT_MAX, SHORTSTR_MAX } from './wire-limits';

/** The fields of {@link AmqpUrl} that come from the query. */
export type QueryFields = Pick<
  AmqpUrl,
  | 'heartbeat'
  | 'frameMax'
  | 'channelMax'
  | 'connectionTimeout'
  | 'authMechanism'
  | 'authMechanisms'
  | 'locale'
  | 'tlsOptions'
>;

/** Query parameters that set a TLS option, with the option each one sets. */
const TLS_PARAMS = {
  cacertfile: 'caFile',
  certfile: 'certFile',
  keyfile: 'keyFile',
  verify: 'verify',
  server_name_indication: 'serverName',
} as const satisfies Record<string, keyof AmqpTlsOptions>;

/** Parses the query into the optional fields of {@link AmqpUrl}; see `parseAmqpUrl`. */
export function parseQuery(query: string | undefined, tls: boolean, decode: Decode, fail: Fail): QueryFields {
  const out: QueryFields = {};
  const tlsOptions: AmqpTlsOptions = {};
  const seen = new Set<string>();
  const mechanisms: AuthMechanism[] = [];
  const formDecode = (raw: string) => decode(raw.replace(/\+/g, ' '), 'query');

  for (const pair of (query ?? '').split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = formDecode(eq < 0 ? pair : pair.slice(0, eq));
    const value = formDecode(eq < 0 ? '' : pair.slice(eq + 1));
    if (name !== 'auth_mechanism' && seen.has(name)) fail(`query parameter ${name} is given twice`);
    seen.add(name);

    switch (name) {
      case 'heartbeat':
        out.heartbeat = parseInteger(value, 0, HEARTBEAT_MAX, `${name} must be an integer 0..65535 (seconds)`, fail);
        break;
      case 'channel_max':
        out.channelMax = parseInteger(value, 0, CHANNEL_MAX_LIMIT, `${name} must be an integer 0..65535`, fail);
        break;
      case 'frame_max': {
        const reason = `${name} must be 0 or an integer 4096..4294967295`;
        out.frameMax = parseInteger(value, 0, FRAME_MAX_LIMIT, reason, fail);
        // 0 means "no limit"; anything else must be at least the spec's frame-min-size.
        if (out.frameMax !== 0 && out.frameMax < FRAME_MIN_SIZE) fail(reason);
        break;
      }
      case 'connection_timeout':
        out.connectionTimeout = parseInteger(
          value,
          0,
          Number.MAX_SAFE_INTEGER,
          `${name} must be a non-negative integer (milliseconds)`,
          fail,
        );
        break;
      case 'auth_mechanism':
        for (const m of value.split(',')) {
          const upper = m.trim().toUpperCase();
          if (!isAuthMechanism(upper)) fail(`unknown auth_mechanism; supported: ${AUTH_MECHANISMS.join(', ')}`);
          if (!mechanisms.includes(upper)) mechanisms.push(upper);
        }
        break;
      case 'locale':
        if (value === '' || Buffer.byteLength(value) > SHORTSTR_MAX) fail('locale must be 1..255 bytes');
        out.locale = value;
        break;
      case 'cacertfile':
      case 'certfile':
      case 'keyfile':
      case 'verify':
      case 'server_name_indication':
        // RabbitMQ documents these for TLS connections; on amqp:// they would silently do nothing.
        if (!tls) fail(`${name} is a TLS parameter and needs the amqps scheme`);
        if (value === '') fail(`${name} must not be empty`);
        if (name === 'verify') {
          const verify = value.toLowerCase();
          if (verify !== 'verify_peer' && verify !== 'verify_none') fail('verify must be verify_peer or verify_none');
          tlsOptions.verify = verify;
        } else {
          tlsOptions[TLS_PARAMS[name]] = value;
        }
        break;
      default:
      // Unknown parameters (other clients' options, RabbitMQ's fail_if_no_peer_cert, depth,
      // password, ...) are ignored, as the URI spec lets clients do.
    }
  }

  if (mechanisms.length > 0) {
    out.authMechanism = mechanisms[0];
    out.authMechanisms = mechanisms;
  }
  if (Object.keys(tlsOptions).length > 0) out.tlsOptions = tlsOptions;
  return out;
}

/** A decimal integer of `min..max`, digits only (no sign, exponent, fraction or spaces). */
function parseInteger(value: string, min: number, max: number, reason: string, fail: Fail): number {
  const n = /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) fail(reason);
  return n;
}

/**
 * The fake server's side of the handshake: what connection.start and connection.tune carry,
 * how a login is read from the client's SASL response, and the refusals RabbitMQ sends.
 */
import type { FieldTable } from '../protocol/field-types';
import { DEFAULT_FRAME_MAX } from '../protocol/frame';
import type { MethodInput } from '../protocol/method-codec';
import type { Protocol } from '../protocol/protocol-version';
import { decodeTable } from '../protocol/table-codec';
import type { FakeLogin, FakeTune } from './fake-server-types';

/** The parts of `FakeServerOptions` the handshake reads. */
export interface HandshakeSettings {
  serverProperties?: FieldTable;
  mechanisms?: string;
  locales?: string;
  tune?: FakeTune;
  authenticate?: (login: FakeLogin) => boolean;
  secure?: string | Uint8Array;
  vhosts?: string[];
}

/** The capabilities RabbitMQ announces in 0-9-1 (the fake server's default). */
const CAPABILITIES_0_9_1: FieldTable = {
  publisher_confirms: true,
  exchange_exchange_bindings: true,
  'basic.nack': true,
  consumer_cancel_notify: true,
  'connection.blocked': true,
  consumer_priorities: true,
  authentication_failure_close: true,
  per_consumer_qos: true,
  direct_reply_to: true,
};

/** The arguments of connection.start: the dialect's version, server properties, mechanisms and locales. */
export function startArgs(protocol: Protocol, settings: HandshakeSettings): MethodInput<'connection.start'> {
  const serverProperties = settings.serverProperties ?? {
    product: 'rx-amqp fake server',
    version: '0.0.0',
    ...(protocol === '0-9-1' ? { capabilities: CAPABILITIES_0_9_1 } : {}),
  };
  return {
    versionMajor: 0,
    versionMinor: protocol === '0-9-1' ? 9 : 8,
    serverProperties,
    mechanisms: settings.mechanisms ?? 'PLAIN AMQPLAIN',
    locales: settings.locales ?? 'en_US',
  };
}

/** The arguments of connection.tune (heartbeats off unless asked for). */
export function tuneArgs(tune: FakeTune = {}): MethodInput<'connection.tune'> {
  return {
    channelMax: tune.channelMax ?? 2047,
    frameMax: tune.frameMax ?? DEFAULT_FRAME_MAX,
    heartbeat: tune.heartbeat ?? 0,
  };
}

/**
 * Whether `settings.authenticate` accepts the login of a connection.start-ok (every login
 * when it is not set). PLAIN and AMQPLAIN responses are parsed into a username and password.
 */
export function loginAccepted(
  settings: HandshakeSettings,
  mechanism: string,
  response: Buffer,
  protocol: Protocol,
): boolean {
  const check = settings.authenticate;
  if (!check) return true;
  const login: FakeLogin = { mechanism, response };
  if (mechanism === 'PLAIN') {
    const parts = response.toString('utf8').split('\0');
    if (parts.length === 3) [, login.username, login.password] = parts;
  } else if (mechanism === 'AMQPLAIN') {
    const size = Buffer.alloc(4);
    size.writeUInt32BE(response.length);
    const t = decodeTable(Buffer.concat([size, response]), protocol);
    login.username = typeof t.LOGIN === 'string' ? t.LOGIN : undefined;
    login.password = typeof t.PASSWORD === 'string' ? t.PASSWORD : undefined;
  }
  return check(login);
}

/** RabbitMQ's connection.close for a refused login (0-9-1; 0-8 simply hangs up). */
export function loginRefusal(mechanism: string): MethodInput<'connection.close'> {
  return {
    replyCode: 403,
    replyText: `ACCESS_REFUSED - Login was refused using authentication mechanism ${mechanism}. For details see the broker logfile.`,
    classId: 0,
    methodId: 0,
  };
}

/** RabbitMQ's connection.close for connection.open of a virtual host that does not exist. */
export function vhostRefusal(vhost: string): MethodInput<'connection.close'> {
  return { replyCode: 530, replyText: `NOT_ALLOWED - vhost ${vhost} not found`, classId: 10, methodId: 40 };
}

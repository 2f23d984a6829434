import { AuthenticationError, ConnectionLostError } from './errors';
import type { Handshake } from './handshake';
import type { Endpoint } from './transport';

/**
 * The error a connection ends with when its transport closes while it is still connecting,
 * in the handshake or open (the client did not close it): what the client can tell of why.
 * `error` is the transport's, if it failed rather than ended.
 */
export function transportClosedError(
  state: 'connecting' | 'handshake' | 'open',
  handshake: Handshake,
  endpoint: Endpoint,
  error: Error | undefined,
): Error {
  const where = describeEndpoint(endpoint);
  if (state === 'connecting') {
    return new ConnectionLostError(`could not connect to ${where}: ${error?.message ?? 'connection closed'}`, {
      cause: error,
    });
  }
  if (state === 'open') {
    return new ConnectionLostError(`connection to ${where} lost${error ? `: ${error.message}` : ''}`, { cause: error });
  }
  const refused = handshake.versionRefused;
  if (refused) return refused;
  if (handshake.step === 'tune' && !handshake.serverSaysWhyLoginFails) {
    // The server hung up right after start-ok: how 0-8 (and servers without the
    // authentication_failure_close capability) refuse a login (RabbitMQ with a reset, in
    // 0-8). A server that would have said why (connection.close 403) did not refuse it:
    // that is a lost connection, worth retrying.
    return new AuthenticationError(`${where} closed the connection after the login: wrong username or password?`);
  }
  return new ConnectionLostError(
    `${where} closed the connection during the handshake (waiting for ${handshake.waitingFor})`,
    { cause: error },
  );
}

/** `host:port`, an IPv6 address in brackets. */
export function describeEndpoint(endpoint: Endpoint): string {
  const { hostname, port } = endpoint;
  return `${hostname.includes(':') ? `[${hostname}]` : hostname}:${port}`;
}

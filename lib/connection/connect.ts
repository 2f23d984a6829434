import { isObservable, Observable, skip, type Subscription } from 'rxjs';
import { ReplyCode } from '../protocol/errors';
import { backoffDelay } from './backoff';
import { ConnectionCore } from './connection-core';
import type { Credentials } from './credentials';
import { CredentialsProviderError, CredentialsSource } from './credentials-source';
import { AuthenticationError, ConnectionClosedError, ProtocolMismatchError } from './errors';
import { resolveOptions, type ConnectOptions, type ResolvedOptions } from './options';
import { isRecoverable } from './recovery';
import { TopologyRegistry } from '../channel/topology';
import type { Endpoint } from './transport';
import { UrlError } from './url';
import { withConnectionEvents } from '../diagnostics/connection-events';
import { Connection } from '../facades';

/**
 * Connects to a broker. Cold: each subscription opens one connection and emits the
 * `Connection` once `connection.open-ok` arrives. With several hosts they are tried in turn
 * until one answers. Without `reconnect` the Observable errors when the connection is lost or
 * the server closes it (a typed error with reply code and text); with `reconnect` it waits
 * (exponential backoff with jitter, rotating hosts) and emits a new Connection instead, and
 * errors only when the policy gives up or the failure cannot be fixed by retrying (wrong
 * password, unknown vhost, protocol mismatch). It completes when the connection is closed
 * with `connection.close()`. Unsubscribing closes the connection gracefully: everything
 * written is flushed, `connection.close` / `close-ok`, socket end.
 *
 * The `credentials` option is asked on every attempt (see `CredentialsOption`); with it, a
 * refused login is retried too, as the provider may have a new value by the next attempt.
 *
 * @param url an AMQP URI or options; default `amqp://guest:guest@localhost:5672`
 */
export function connect(url?: string | ConnectOptions): Observable<Connection> {
  return new Observable<Connection>((subscriber) => {
    let options: ResolvedOptions;
    try {
      options = resolveOptions(url);
    } catch (e) {
      subscriber.error(e);
      return;
    }
    const { endpoints, reconnect: policy, scheduler } = options;
    const status = withConnectionEvents(options.status, scheduler);
    let hostIndex = 0;
    // Failures in a row (for the backoff and the status), and connection attempts made since
    // the last open: `maxAttempts: N` allows N attempts, the first connect included.
    let failures = 0;
    let attempts = 0;
    let current: Connection | null = null;
    let retry: Subscription | null = null;
    let stopped = false;
    const topology = new TopologyRegistry();
    const provider = options.credentialsProvider?.option;
    const credentials = new CredentialsSource(provider, options.credentials);
    const dynamicCredentials = typeof provider === 'function' || isObservable(provider);
    const retryable = (error: Error) => isRetryable(error, dynamicCredentials);
    // The secret the open connection authenticated with (or was last updated to).
    let secretInUse: Credentials | undefined;

    /** Sends the Observable provider's latest value to the open connection (0-9-1 update-secret). */
    const refreshSecret = () => {
      const connection = current;
      const latest = credentials.current;
      if (connection?.state !== 'open' || connection.protocol !== '0-9-1' || !latest || !secretInUse) return;
      // update-secret changes the secret of the logged-in user only: a new username is used
      // from the next connection attempt on.
      if (latest.username !== secretInUse.username || latest.password === secretInUse.password) return;
      secretInUse = latest;
      connection.updateSecret(latest.password, 'credentials refreshed').subscribe({
        // A refused secret makes the broker close the connection, which reconnects (with the
        // latest value); a connection lost meanwhile reconnects anyway.
        error: () => undefined,
      });
    };

    /** The credentials provider failed before the attempt could start. */
    const providerFailed = (error: Error, info: { hostname: string; port: number }) => {
      if (stopped) return;
      if (policy && retryable(error) && attempts < policy.maxAttempts) {
        failures++;
        const delay = backoffDelay(policy, failures);
        status?.next?.({ state: 'disconnected', endpoint: info, error, attempt: failures, retryIn: delay });
        retry = scheduler.schedule(attempt, delay);
        return;
      }
      status?.next?.({ state: 'closed', error });
      subscriber.error(error);
    };

    const attempt = () => {
      retry = null;
      attempts++;
      const endpoint = endpoints[hostIndex % endpoints.length];
      const info = { hostname: endpoint.hostname, port: endpoint.port };
      status?.next?.({ state: 'connecting', endpoint: info, attempt: failures + 1 });
      credentials.get(
        (login) => {
          if (!stopped) begin(endpoint, info, login);
        },
        (error) => providerFailed(error, info),
      );
    };

    const begin = (endpoint: Endpoint, info: { hostname: string; port: number }, login: Credentials) => {
      let opened = false;
      let blockedWatch: Subscription | undefined;
      const core = new ConnectionCore(
        { ...options, credentials: login },
        endpoint,
        {
          opened: () => {
            opened = true;
            secretInUse = login;
            failures = 0;
            attempts = 0;
            status?.next?.({ state: 'open', endpoint: info, connection });
            blockedWatch = core.blocked$.pipe(skip(1)).subscribe((blocked) => {
              if (blocked) status?.next?.({ state: 'blocked', endpoint: info, reason: core.blockedReason });
              else if (core.state === 'open' && opened) status?.next?.({ state: 'open', endpoint: info, connection });
            });
            subscriber.next(connection);
            refreshSecret();
          },
          willRecover: (error) => !stopped && policy !== undefined && retryable(error) && attempts < policy.maxAttempts,
          ended: (error) => {
            blockedWatch?.unsubscribe();
            if (stopped) return;
            if (!error) {
              status?.next?.({ state: 'closed' });
              return subscriber.complete();
            }
            if (policy && isRecoverable(error)) {
              failures++;
              hostIndex++;
              const delay = backoffDelay(policy, failures);
              status?.next?.({ state: 'disconnected', endpoint: info, error, attempt: failures, retryIn: delay });
              retry = scheduler.schedule(attempt, delay);
              return;
            }
            if (!policy && !opened && hostIndex + 1 < endpoints.length && worthAnotherHost(error)) {
              hostIndex++;
              return attempt();
            }
            status?.next?.({ state: 'closed', error });
            subscriber.error(error);
          },
        },
        topology,
      );
      const connection = new Connection(core);
      current = connection;
      core.start();
    };
    credentials.start(refreshSecret);
    attempt();

    return () => {
      stopped = true;
      credentials.stop();
      retry?.unsubscribe();
      void current?.close();
    };
  });
}

/** Whether a failure to open is about this host (try the next) rather than about the request. */
function worthAnotherHost(error: Error): boolean {
  return !(
    error instanceof AuthenticationError ||
    error instanceof ProtocolMismatchError ||
    error instanceof ConnectionClosedError
  );
}

/**
 * Whether reconnecting may help: not for a refused login (unless a credentials provider may
 * give another value next time), an unknown or forbidden vhost, a protocol the server does not
 * speak, a bad URL, or a credentials provider that cannot give a value any more.
 */
function isRetryable(error: Error, dynamicCredentials: boolean): boolean {
  if (error instanceof CredentialsProviderError) return error.retryable;
  if (error instanceof AuthenticationError) return dynamicCredentials;
  if (error instanceof ProtocolMismatchError || error instanceof UrlError) return false;
  if (error instanceof ConnectionClosedError) {
    const code = error.replyCode;
    return !(code === ReplyCode.ACCESS_REFUSED || code === ReplyCode.NOT_ALLOWED || code === ReplyCode.INVALID_PATH);
  }
  return true;
}

/**
 * Opens a connection for `await` code. Its lifetime ends with `connection.close()` or
 * `await using`; `connection.closed` tells how it ended.
 */
export function open(url?: string | ConnectOptions): Promise<Connection> {
  if (typeof url === 'object' && url.reconnect) {
    return Promise.reject(
      new TypeError('open() gives one connection; use connect() with `reconnect` to get a new one after each failure'),
    );
  }
  return new Promise<Connection>((resolve, reject) => {
    connect(url).subscribe({
      next: resolve,
      error: reject,
    });
  });
}

import { Observable } from 'rxjs';
import { Connection } from './connection';
import { ConnectionCore } from './connection-core';
import { AuthenticationError, ConnectionClosedError, ProtocolMismatchError } from './errors';
import { resolveOptions, type ConnectOptions } from './options';

/**
 * Connects to a broker. Cold: each subscription opens one connection and emits the
 * `Connection` once `connection.open-ok` arrives. With several hosts they are tried in turn
 * until one answers. The Observable never completes by itself; it errors when the
 * connection is lost or the server closes it (a typed error with reply code and text), and
 * completes when the connection is closed with `connection.close()`. Unsubscribing closes
 * the connection gracefully: everything written is flushed, `connection.close` / `close-ok`,
 * socket end.
 *
 * @param url an AMQP URI or options; default `amqp://guest:guest@localhost:5672/`
 */
export function connect(url?: string | ConnectOptions): Observable<Connection> {
  return new Observable<Connection>((subscriber) => {
    let options;
    try {
      options = resolveOptions(url);
    } catch (e) {
      subscriber.error(e);
      return;
    }
    const endpoints = options.endpoints;
    let current: ConnectionCore | null = null;
    let stopped = false;

    const attempt = (index: number) => {
      let opened = false;
      const core = new ConnectionCore(options, endpoints[index], {
        opened: () => {
          opened = true;
          subscriber.next(connection);
        },
        ended: (error) => {
          if (stopped) return;
          if (!error) return subscriber.complete();
          if (!opened && index + 1 < endpoints.length && worthAnotherHost(error)) return attempt(index + 1);
          subscriber.error(error);
        },
      });
      const connection = new Connection(core);
      current = core;
      core.start();
    };
    attempt(0);

    return () => {
      stopped = true;
      void current?.close();
    };
  });
}

/** Whether a failure to open is about this host (try the next) rather than about the request. */
function worthAnotherHost(error: Error): boolean {
  return !(error instanceof AuthenticationError || error instanceof ProtocolMismatchError || error instanceof ConnectionClosedError);
}

/**
 * Opens a connection for `await` code. Its lifetime ends with `connection.close()` or
 * `await using`; `connection.closed` tells how it ended.
 */
export function open(url?: string | ConnectOptions): Promise<Connection> {
  return new Promise<Connection>((resolve, reject) => {
    connect(url).subscribe({
      next: resolve,
      error: reject,
    });
  });
}

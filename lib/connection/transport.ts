import * as net from 'node:net';
import * as tls from 'node:tls';

/** Where to connect. */
export interface Endpoint {
  hostname: string;
  port: number;
  /** Use TLS (amqps). */
  tls: boolean;
  /** Node `tls.connect` options (CA, client certificate, servername, ...). */
  tlsOptions?: tls.ConnectionOptions;
}

/** What a transport reports. Each callback may fire many times except `closed` (once). */
export interface TransportEvents {
  /** The byte stream is ready (TCP connected, TLS handshake done). */
  connected(): void;
  /** Bytes from the peer. */
  data(chunk: Uint8Array): void;
  /** A write that returned false has been flushed; writing may go on. */
  drain(): void;
  /** The stream is gone; `error` when it failed rather than ended. */
  closed(error?: Error): void;
}

/**
 * A byte stream to a broker: the only I/O the connection does goes through it, so tests can
 * script a server without sockets.
 */
export interface Transport {
  /** Queues bytes; false means the caller should wait for `drain` before writing more. */
  write(bytes: Uint8Array): boolean;
  /** Flushes what was written, then ends the stream; `closed` follows. */
  end(): void;
  /** Tears the stream down at once; `closed` follows. */
  destroy(): void;
}

/** Opens a transport to an endpoint and reports through `events`. Must not throw. */
export type TransportFactory = (endpoint: Endpoint, events: TransportEvents) => Transport;

/** The default transport: a TCP socket, or a TLS one for `amqps`. */
export const socketTransport: TransportFactory = (endpoint, events) => {
  let socket: net.Socket;
  let failure: Error | undefined;
  const onConnected = () => events.connected();
  if (endpoint.tls) {
    socket = tls.connect({
      host: endpoint.hostname,
      port: endpoint.port,
      servername: net.isIP(endpoint.hostname) ? undefined : endpoint.hostname,
      ...endpoint.tlsOptions,
    });
    socket.once('secureConnect', onConnected);
  } else {
    socket = net.connect({ host: endpoint.hostname, port: endpoint.port });
    socket.once('connect', onConnected);
  }
  socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => events.data(chunk));
  socket.on('drain', () => events.drain());
  socket.on('error', (e) => {
    failure ??= e;
  });
  socket.once('close', () => events.closed(failure));
  return {
    write: (bytes) => (socket.destroyed ? false : socket.write(bytes)),
    end: () => {
      socket.end();
    },
    destroy: () => {
      socket.destroy();
    },
  };
};

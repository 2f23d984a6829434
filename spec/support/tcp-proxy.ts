/**
 * A TCP proxy between the client and a broker that can break the connections going through
 * it, for the fault-tolerance specs (not a spec itself):
 *
 * - {@link TcpProxy.cut}: close both halves cleanly (FIN), as a broker or NAT that hangs up;
 * - {@link TcpProxy.reset}: abort both halves (RST, `socket.resetAndDestroy()`);
 * - {@link TcpProxy.blackhole}: stop forwarding in both directions without closing anything,
 *   as a dead peer or a partitioned network (bytes are read and dropped, so the sender's
 *   writes still succeed, exactly as they do into a dead TCP peer until its window fills);
 * - {@link TcpProxy.refuse} / {@link TcpProxy.suspend}: reset new connections as they
 *   arrive, or stop listening altogether (connection refused) for a while;
 * - {@link TcpProxy.tamper}: rewrite the bytes going one way.
 *
 * It counts the bytes forwarded each way, per connection and in total.
 */
import * as net from 'node:net';

/** Which way bytes travel. */
export type Direction = 'toServer' | 'toClient';

/** Rewrites a chunk going one way; return the bytes to forward (possibly empty). */
export type Tamper = (chunk: Buffer, direction: Direction, connection: ProxiedConnection) => Buffer;

/** One client connection and its upstream. */
export interface ProxiedConnection {
  readonly id: number;
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  /** Bytes forwarded to the server / to the client. */
  readonly bytes: Record<Direction, number>;
  /** Bytes dropped while blackholed, per direction. */
  readonly dropped: Record<Direction, number>;
  /** Whether it still forwards (false while blackholed). */
  blackholed: boolean;
  readonly closed: Promise<void>;
}

/** Options of {@link TcpProxy.start}. */
export interface TcpProxyOptions {
  /** Port to listen on (default: any free port). */
  port?: number;
}

/** See the module comment. */
export class TcpProxy {
  private server: net.Server;
  private readonly live = new Set<ProxiedConnection>();
  private nextId = 1;
  private refusing = false;
  private blackholeNew = false;
  private tamperFn: Tamper | null = null;
  /** Connections accepted so far (including refused ones). */
  accepted = 0;
  /** Connections reset on arrival by {@link refuse}. */
  refused = 0;
  /** Total bytes forwarded each way, over all connections. */
  readonly bytes: Record<Direction, number> = { toServer: 0, toClient: 0 };

  private constructor(
    readonly target: { host: string; port: number },
    public port: number,
  ) {
    this.server = this.createServer();
  }

  /** Starts a proxy to `target`, listening on 127.0.0.1. */
  static async start(target: { host?: string; port: number }, options: TcpProxyOptions = {}): Promise<TcpProxy> {
    const proxy = new TcpProxy({ host: target.host ?? '127.0.0.1', port: target.port }, options.port ?? 0);
    await proxy.listen();
    return proxy;
  }

  /** `amqp://guest:guest@127.0.0.1:<port>` (or with another scheme and credentials). */
  url(credentials = 'guest:guest', scheme = 'amqp'): string {
    return `${scheme}://${credentials}@127.0.0.1:${this.port}`;
  }

  /** Connections open now. */
  get connections(): ProxiedConnection[] {
    return [...this.live];
  }

  /** Whether it accepts connections (false while suspended). */
  get listening(): boolean {
    return this.server.listening;
  }

  /** Closes both halves of every connection with FIN (the upstream first). */
  cut(): number {
    const all = this.connections;
    for (const c of all) {
      c.upstream.end();
      c.client.end();
    }
    return all.length;
  }

  /** Aborts every connection with RST on both halves. */
  reset(): number {
    const all = this.connections;
    for (const c of all) {
      resetSocket(c.upstream);
      resetSocket(c.client);
    }
    return all.length;
  }

  /**
   * Stops (or, with false, resumes) forwarding on every open connection, in both directions;
   * with `newConnections`, connections accepted later are blackholed from the start.
   */
  blackhole(on = true, newConnections = false): void {
    for (const c of this.live) c.blackholed = on;
    this.blackholeNew = on && newConnections;
  }

  /**
   * Resets every new connection as it arrives (the port still accepts, then RST) for `ms`
   * milliseconds, or until called with 0.
   */
  refuse(ms?: number): void {
    this.refusing = ms !== 0;
    if (ms) setTimeout(() => (this.refusing = false), ms).unref();
  }

  /**
   * Stops listening (new connections are refused by the kernel) for `ms` milliseconds, then
   * listens again on the same port; resolves once listening again. Open connections live on.
   */
  async suspend(ms: number): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await new Promise((r) => setTimeout(r, ms));
    this.server = this.createServer();
    await this.listen();
  }

  /** Rewrites bytes from now on (null: forward as they are). */
  tamper(fn: Tamper | null): void {
    this.tamperFn = fn;
  }

  /** Stops listening and aborts every connection. */
  async close(): Promise<void> {
    this.reset();
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private createServer(): net.Server {
    return net.createServer((client) => this.accept(client));
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  private accept(client: net.Socket): void {
    this.accepted++;
    if (this.refusing) {
      this.refused++;
      resetSocket(client);
      return;
    }
    client.setNoDelay(true);
    const upstream = net.connect({ host: this.target.host, port: this.target.port });
    upstream.setNoDelay(true);
    let resolveClosed!: () => void;
    const conn: ProxiedConnection = {
      id: this.nextId++,
      client,
      upstream,
      bytes: { toServer: 0, toClient: 0 },
      dropped: { toServer: 0, toClient: 0 },
      blackholed: this.blackholeNew,
      closed: new Promise((r) => (resolveClosed = r)),
    };
    this.live.add(conn);
    const pipe = (from: net.Socket, to: net.Socket, direction: Direction) => {
      from.on('data', (chunk: Buffer) => {
        if (conn.blackholed) {
          conn.dropped[direction] += chunk.length;
          return;
        }
        const out = this.tamperFn ? this.tamperFn(chunk, direction, conn) : chunk;
        if (out.length === 0 || to.destroyed) return;
        conn.bytes[direction] += out.length;
        this.bytes[direction] += out.length;
        if (!to.write(out)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      });
      // A FIN from one side is passed on as a FIN to the other (unless blackholed).
      from.on('end', () => {
        if (!conn.blackholed) to.end();
      });
    };
    pipe(client, upstream, 'toServer');
    pipe(upstream, client, 'toClient');
    let open = 2;
    const onClose = (other: net.Socket, hadError: boolean) => {
      // One side gone ends the other: an abort stays an abort (RST), a close a close (FIN).
      // Not while blackholed: a dead network tells nobody anything.
      if (!conn.blackholed) {
        if (hadError) resetSocket(other);
        else other.end();
      }
      if (--open === 0) {
        this.live.delete(conn);
        resolveClosed();
      }
    };
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.on('close', (hadError) => onClose(upstream, hadError));
    upstream.on('close', (hadError) => onClose(client, hadError));
  }
}

function resetSocket(socket: net.Socket): void {
  if (socket.destroyed) return;
  // resetAndDestroy needs a connected TCP handle; a socket still connecting is just destroyed.
  if (socket.connecting) socket.destroy();
  else socket.resetAndDestroy();
}

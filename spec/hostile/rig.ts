/**
 * The set-up every hostile-server spec shares (not a spec itself): a connection to a fake
 * server with two open channels, a consumer and an unanswered RPC on each, so that a fatal
 * error can be checked to end every one of them.
 */
import type { VirtualTimeScheduler } from 'rxjs';
import { connect, type Channel, type Connection, type ConnectOptions, type Delivery } from 'rx-amqp';
import { fakeServer, type FakeServer, type FakeServerOptions } from 'rx-amqp/testing';
import { fakeOptions, record, type Outcome } from '../support/fake';

type ErrorClass = abstract new (...args: never[]) => Error;

/** A connection with live streams of every kind, to be ended by hostile input. */
export interface Rig {
  server: FakeServer;
  /** The virtual-time scheduler the connection's timers run on (flush it to let time pass). */
  scheduler: VirtualTimeScheduler;
  connection: Connection;
  connect: Outcome<Connection>;
  channels: Array<{ stream: Outcome<Channel>; channel: Channel; consumer: Outcome<Delivery>; rpc: Outcome<unknown> }>;
  blocked: Outcome<boolean>;
  flow: Outcome<boolean>;
}

/**
 * Opens a connection to a fake server, channels 1 and 2, a consumer on each (tags `c1`, `c2`)
 * and a queue.declare on each that the server never answers.
 */
export async function rig(serverOptions: FakeServerOptions = {}, options: ConnectOptions = {}): Promise<Rig> {
  const server = fakeServer(serverOptions);
  server.answer('basic.consume', 'basic.consume-ok', (m) => ({ consumerTag: `c${m.channel}` }));
  const opts = fakeOptions(server, options);
  const conn = record(connect(opts));
  await server.idle();
  if (conn.values.length !== 1) throw new Error(`rig: the connection did not open (${String(conn.error)})`);
  const connection = conn.values[0];
  const channels: Rig['channels'] = [];
  for (const id of [1, 2]) {
    const stream = record(connection.channel(id));
    await server.idle();
    const channel = stream.values[0];
    if (!channel) throw new Error(`rig: channel ${id} did not open (${String(stream.error)})`);
    const consumer = record(channel.basicConsume(`q${id}`));
    await server.idle();
    const rpc = record(channel.queueDeclare(`pending-${id}`));
    await server.idle();
    channels.push({ stream, channel, consumer, rpc });
  }
  const blocked = record(connection.blocked$);
  const flow = record(channels[0].channel.flow$);
  expect(server.methods('queue.declare')).toHaveLength(2);
  return { server, scheduler: opts.scheduler, connection, connect: conn, channels, blocked, flow };
}

/**
 * Expects the rig to have been ended by one typed error: `connect()` errored with it, every
 * channel stream, consumer and pending RPC errored with it, the side streams completed, the
 * client told the server with connection.close and the reply code (unless `toldServer` is
 * false), and the socket was closed as `closedBy` says (by the client by default). Returns
 * the error.
 */
export function expectAllEnded(
  r: Rig,
  cls: ErrorClass,
  code: number | undefined,
  { toldServer = true, closedBy = /^client-/ } = {},
): Error {
  expect(r.connect.errored).toBe(true);
  const error = r.connect.error as Error;
  expect(error).toBeInstanceOf(cls);
  expect((error as { code?: number }).code).toBe(code);
  for (const c of r.channels) {
    expect(c.stream.error).toBe(error);
    expect(c.consumer.error).toBe(error);
    expect(c.rpc.error).toBe(error);
    expect(c.consumer.values).toEqual([]);
    expect(c.rpc.values).toEqual([]);
    expect(c.channel.isOpen).toBe(false);
  }
  expect(r.blocked.completed).toBe(true);
  expect(r.flow.completed).toBe(true);
  expect(r.connection.state).toBe('closed');
  if (toldServer) {
    const closes = r.server.methods('connection.close');
    expect(closes).toHaveLength(1);
    expect(closes[0].args.replyCode).toBe(code);
    expect(closes[0].channel).toBe(0);
  }
  expect(r.server.closedBy).toMatch(closedBy);
  expect(r.server.errors).toEqual([]);
  return error;
}

/** Sends hostile bytes to an open rig and lets both sides settle. */
export async function hit(r: Rig, bytes: Uint8Array): Promise<void> {
  r.server.send(bytes);
  await r.server.idle();
  // connection.closed (a Promise) feeds the channel streams; give it its turn too.
  await r.connection.closed;
  await r.server.idle();
}

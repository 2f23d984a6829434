/**
 * A server that goes away: closes the socket without a close handshake, resets it, or goes
 * silent. Every stream ends with a typed error; nothing hangs.
 */
import { ConnectionLostError, HeartbeatTimeoutError } from 'rx-amqp';
import { trapUnhandledErrors } from '../support/fake';
import { expectAllEnded, rig } from './rig';

trapUnhandledErrors();

describe('a server that goes away', () => {
  it('closing the socket without connection.close is a ConnectionLostError', async () => {
    const r = await rig();
    r.server.drop();
    await r.server.idle();
    await r.connection.closed;
    await r.server.idle();
    const error = expectAllEnded(r, ConnectionLostError, undefined, { toldServer: false, closedBy: /^server-drop$/ });
    expect(error.message).toMatch(/lost/);
  });

  it('a reset socket is a ConnectionLostError carrying the socket error', async () => {
    const r = await rig();
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    r.server.drop(reset);
    await r.server.idle();
    await r.connection.closed;
    await r.server.idle();
    const error = expectAllEnded(r, ConnectionLostError, undefined, { toldServer: false, closedBy: /^server-drop$/ });
    expect(error.cause).toBe(reset);
    expect(error.message).toMatch(/ECONNRESET/);
  });

  it('a server gone silent with heartbeats on is a HeartbeatTimeoutError after two intervals', async () => {
    const r = await rig({ tune: { heartbeat: 5 } });
    const { scheduler } = r;
    r.server.silence();
    scheduler.flush();
    await r.server.idle();
    await r.connection.closed;
    await r.server.idle();
    // The last frame came at 0, heard by the tick at 2500; ticks at 5000..12500 hear nothing.
    expect(scheduler.now()).toBe(12_500);
    const error = expectAllEnded(r, HeartbeatTimeoutError, undefined, {
      toldServer: false,
      closedBy: /^client-destroy$/,
    });
    expect((error as HeartbeatTimeoutError).heartbeat).toBe(5);
    expect(r.server.heartbeats).toBe(3);
  });
});

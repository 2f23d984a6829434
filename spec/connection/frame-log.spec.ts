/** Frame tracing (`debug` option, RX_AMQP_DEBUG=frames) against the fake server. */
import { encodeMethod, encodeContentHeader } from 'rx-amqp/protocol';
import { concatBytes, fakeServer, heartbeatFrame, methodFrame } from 'rx-amqp/testing';
import { describeFrame, withFrameLog } from '../../lib/diagnostics/frame-log';
import { socketTransport, type TransportEvents } from 'rx-amqp';
import { openFake, trapUnhandledErrors } from '../support/fake';

trapUnhandledErrors();

describe('frame tracing', () => {
  it('logs every frame in and out, method arguments and body sizes, with the password redacted', async () => {
    const lines: string[] = [];
    const server = fakeServer();
    const { connection } = await openFake(server, { password: 's3cret-pw', debug: (line) => lines.push(line) });
    const channel = await connection.openChannel();
    channel.basicPublish('hello', '', 'q', {});
    await connection.close();
    const text = lines.join('\n');
    expect(text).not.toContain('s3cret-pw');
    const startOk = lines.find((l) => l.includes('connection.start-ok'))!;
    expect(startOk).toMatch(/ > ch0 connection\.start-ok .*response: '\[redacted\]'/);
    expect(lines[0]).toMatch(/ > protocol header AMQP 0-0-9-1$/);
    expect(lines.some((l) => / < ch0 connection\.start /.test(l))).toBe(true);
    expect(lines.some((l) => / > ch1 basic\.publish .*routingKey: 'q'/.test(l))).toBe(true);
    expect(lines.some((l) => / > ch1 header class 60, body 5 bytes .*contentEncoding: 'UTF-8'/.test(l))).toBe(true);
    expect(lines.some((l) => / > ch1 body 5 bytes$/.test(l))).toBe(true);
    expect(lines.some((l) => / > ch0 connection\.close /.test(l))).toBe(true);
  });

  it('redacts connection.update-secret and SASL secure-ok responses', () => {
    const update = describeFrame(
      1,
      0,
      Buffer.from(encodeMethod('connection.update-secret', { newSecret: 'token-xyz', reason: 'refresh' })),
      '0-9-1',
    );
    expect(update).toBe("ch0 connection.update-secret { newSecret: '[redacted]', reason: 'refresh' }");
    const secure = describeFrame(
      1,
      0,
      Buffer.from(encodeMethod('connection.secure-ok', { response: 'secret' })),
      '0-9-1',
    );
    expect(secure).not.toContain("secret'");
    expect(
      describeFrame(2, 3, Buffer.from(encodeContentHeader({ bodySize: 10, properties: { messageId: 'm' } })), '0-9-1'),
    ).toBe("ch3 header class 60, body 10 bytes { messageId: 'm' }");
    expect(describeFrame(8, 0, Buffer.alloc(0), '0-9-1')).toBe('ch0 heartbeat');
  });

  it('is off by default (the transport is used as it is) and on with RX_AMQP_DEBUG=frames', () => {
    const saved = process.env.RX_AMQP_DEBUG;
    try {
      delete process.env.RX_AMQP_DEBUG;
      expect(withFrameLog(socketTransport, undefined, '0-9-1')).toBe(socketTransport);
      expect(withFrameLog(socketTransport, { frames: false }, '0-9-1')).toBe(socketTransport);
      process.env.RX_AMQP_DEBUG = 'other,frames';
      expect(withFrameLog(socketTransport, undefined, '0-9-1')).not.toBe(socketTransport);
      expect(withFrameLog(socketTransport, false, '0-9-1')).toBe(socketTransport);
    } finally {
      if (saved === undefined) delete process.env.RX_AMQP_DEBUG;
      else process.env.RX_AMQP_DEBUG = saved;
    }
  });

  it('reads several frames written in one chunk', async () => {
    const lines: string[] = [];
    const server = fakeServer();
    const { connection } = await openFake(server, { debug: { frames: true, log: (line) => lines.push(line) } });
    const channel = await connection.openChannel();
    for (let i = 0; i < 3; i++) channel.basicPublish('x'.repeat(1000), '', 'q');
    await connection.close();
    expect(lines.filter((l) => / > ch1 basic\.publish /.test(l))).toHaveLength(3);
    expect(lines.filter((l) => / > ch1 body 1000 bytes$/.test(l))).toHaveLength(3);
    expect(lines.some((l) => l.includes('frame tracing stopped'))).toBe(false);
  });

  it('reassembles incoming frames split across chunks', () => {
    const lines: string[] = [];
    let events: TransportEvents | undefined;
    const received: number[] = [];
    const factory = withFrameLog(
      (_endpoint, e) => {
        events = e;
        return { write: () => true, end: () => undefined, destroy: () => undefined };
      },
      (line) => lines.push(line),
      '0-9-1',
    );
    factory(
      { hostname: 'h', port: 1, tls: false },
      {
        connected: () => undefined,
        data: (c) => received.push(c.length),
        drain: () => undefined,
        closed: () => undefined,
      },
    );
    const bytes = concatBytes(
      methodFrame(0, 'connection.tune', { channelMax: 7, frameMax: 4096, heartbeat: 5 }),
      heartbeatFrame(),
    );
    for (const cut of [
      [0, 3],
      [3, 12],
      [12, bytes.length],
    ])
      events!.data(bytes.subarray(cut[0], cut[1]));
    expect(lines).toEqual([
      'rx-amqp h:1 < ch0 connection.tune { channelMax: 7, frameMax: 4096, heartbeat: 5 }',
      'rx-amqp h:1 < ch0 heartbeat',
    ]);
    expect(received.reduce((a, b) => a + b, 0)).toBe(bytes.length); // the connection still gets every byte
  });
});

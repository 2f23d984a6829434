/** The frame builders of rx-amqp/testing produce exact wire bytes. */
import { decodeContentHeader, decodeMethod, FrameParser, type Frame } from 'rx-amqp/protocol';
import {
  bodyFrame,
  contentFrames,
  headerFrame,
  heartbeatFrame,
  methodFrame,
  protocolHeader,
  rawFrame,
  rawMethodPayload,
} from 'rx-amqp/testing';

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function frames(bytes: Uint8Array): Frame[] {
  const out: Frame[] = [];
  new FrameParser({ frameMax: 0 }).push(bytes, (f) => out.push(f));
  return out;
}

describe('frame builders', () => {
  it('protocolHeader', () => {
    expect(hex(protocolHeader())).toBe('414d515000000901');
    expect(hex(protocolHeader('0-8'))).toBe('414d515001010800');
  });

  it('heartbeatFrame', () => {
    expect(hex(heartbeatFrame())).toBe('080000' + '00000000' + 'ce');
    expect(hex(heartbeatFrame(1))).toBe('080001' + '00000000' + 'ce');
  });

  it('methodFrame: type 1, channel, size, class/method ids and arguments, frame end', () => {
    expect(hex(methodFrame(3, 'basic.qos-ok'))).toBe('010003' + '00000004' + '003c000b' + 'ce');
    const [f] = frames(methodFrame(0, 'connection.tune', { channelMax: 10, frameMax: 8192, heartbeat: 5 }));
    expect(decodeMethod(f.payload)).toMatchObject({
      name: 'connection.tune',
      args: { channelMax: 10, frameMax: 8192, heartbeat: 5 },
    });
    const [f08] = frames(methodFrame(0, 'connection.start', {}, '0-8'));
    expect(decodeMethod(f08.payload, '0-8').args).toMatchObject({ versionMajor: 0, versionMinor: 8 });
  });

  it('headerFrame and bodyFrame', () => {
    expect(hex(headerFrame(1, 5))).toBe('020001' + '0000000e' + '003c' + '0000' + '0000000000000005' + '0000' + 'ce');
    const [h] = frames(headerFrame(1, 5, { contentType: 'text/plain' }));
    expect(decodeContentHeader(h.payload)).toEqual({
      classId: 60,
      bodySize: 5,
      properties: { contentType: 'text/plain' },
    });
    expect(hex(bodyFrame(2, 'hi'))).toBe('030002' + '00000002' + '6869' + 'ce');
  });

  it('contentFrames: method, header, bodies split at frameMax - 8, no body frame for an empty body', () => {
    const fs = frames(
      contentFrames(1, 'basic.deliver', { consumerTag: 'c', deliveryTag: 1 }, 'abcdefghij', {}, { frameMax: 12 }),
    );
    expect(fs.map((f) => [f.type, f.payload.length])).toEqual([
      [1, fs[0].payload.length],
      [2, 14],
      [3, 4],
      [3, 4],
      [3, 2],
    ]);
    expect(Buffer.concat(fs.slice(2).map((f) => f.payload)).toString()).toBe('abcdefghij');
    expect(frames(contentFrames(1, 'basic.deliver', {}, '')).map((f) => f.type)).toEqual([1, 2]);
    expect(() => contentFrames(1, 'basic.deliver', {}, 'x', {}, { frameMax: 8 })).toThrow(RangeError);
  });

  it('rawFrame and rawMethodPayload build malformed frames', () => {
    expect(hex(rawFrame(9, 0, Uint8Array.of(1), { size: 0xffffffff, frameEnd: 0 }))).toBe(
      '090000' + 'ffffffff' + '01' + '00',
    );
    expect(hex(rawMethodPayload(99, 99, Uint8Array.of(7)))).toBe('00630063' + '07');
  });
});

import { inspect } from 'node:util';
import { decodeContentHeader } from '../protocol/content-header';
import { FrameKind } from '../protocol/generated/constants';
import { decodeMethod } from '../protocol/method-codec';
import type { Protocol } from '../protocol/protocol-version';
import type { Endpoint, TransportFactory } from '../connection/transport';

/** The `debug` option of `connect()`. */
export interface DebugOptions {
  /** Print every frame in and out: channel, method and arguments, header properties, body sizes. */
  frames?: boolean;
  /** Where lines go; default `process.stderr`. */
  log?: (line: string) => void;
}

/** Environment variable that turns frame tracing on for every connection: `RX_AMQP_DEBUG=frames`. */
export const DEBUG_ENV = 'RX_AMQP_DEBUG';

const REDACTED = '[redacted]';

/** Method arguments that carry secrets: SASL responses (PLAIN holds the password) and new secrets. */
const SECRET_ARGS: Record<string, readonly string[]> = {
  'connection.start-ok': ['response'],
  'connection.secure-ok': ['response'],
  'connection.update-secret': ['newSecret'],
};

/**
 * The transport factory to use: `transport` itself when frame tracing is off (the default; no
 * cost at all), else one that logs every frame it carries. On with the `debug` option
 * (`true`, `{ frames: true }`, or a function receiving the lines) or `RX_AMQP_DEBUG=frames`.
 */
export function withFrameLog(
  transport: TransportFactory,
  debug: boolean | DebugOptions | ((line: string) => void) | undefined,
  protocol: Protocol,
): TransportFactory {
  const log = frameLogger(debug);
  if (log === undefined) return transport;
  return (endpoint, events) => {
    const where = `${endpoint.hostname.includes(':') ? `[${endpoint.hostname}]` : endpoint.hostname}:${endpoint.port}`;
    const incoming = new FrameSplitter(protocol, (line) => log(`rx-amqp ${where} < ${line}`));
    const outgoing = new FrameSplitter(protocol, (line) => log(`rx-amqp ${where} > ${line}`));
    const inner = transport(endpoint as Endpoint, {
      ...events,
      data: (chunk) => {
        incoming.push(chunk);
        events.data(chunk);
      },
      closed: (error) => {
        log(`rx-amqp ${where} closed${error ? `: ${error.message}` : ''}`);
        events.closed(error);
      },
    });
    return {
      write: (bytes) => {
        outgoing.push(bytes);
        return inner.write(bytes);
      },
      end: () => inner.end(),
      destroy: () => inner.destroy(),
    };
  };
}

/** The line sink the options ask for, or undefined when frame tracing is off. */
function frameLogger(
  debug: boolean | DebugOptions | ((line: string) => void) | undefined,
): ((line: string) => void) | undefined {
  const stderr = (line: string) => {
    process.stderr.write(`${line}\n`);
  };
  if (typeof debug === 'function') return debug;
  if (debug === true) return stderr;
  if (typeof debug === 'object' && debug.frames) return debug.log ?? stderr;
  if (debug === undefined && /(^|,)\s*frames\s*(,|$)/.test(readDebugEnv())) return stderr;
  return undefined;
}

/**
 * `RX_AMQP_DEBUG`, or '' when it cannot be read: Deno without `--allow-env` throws on any
 * environment access, and tracing is not worth refusing to connect over.
 */
function readDebugEnv(): string {
  try {
    return (typeof process !== 'undefined' && process.env[DEBUG_ENV]) || '';
  } catch {
    return '';
  }
}

/**
 * Cuts one direction of the byte stream into frames (chunks may split or merge them) and
 * describes each one. Never throws: a line it cannot make sense of ends its logging.
 */
class FrameSplitter {
  private pending: Buffer = Buffer.alloc(0);
  private broken = false;

  constructor(
    private readonly protocol: Protocol,
    private readonly out: (line: string) => void,
  ) {}

  push(chunk: Uint8Array): void {
    if (this.broken) return;
    try {
      const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      let buf = this.pending.length ? Buffer.concat([this.pending, bytes]) : bytes;
      for (;;) {
        if (buf.length >= 4 && buf[0] === 0x41 && buf.toString('latin1', 0, 4) === 'AMQP') {
          if (buf.length < 8) break;
          this.out(`protocol header AMQP ${buf[4]}-${buf[5]}-${buf[6]}-${buf[7]}`);
          buf = buf.subarray(8);
          continue;
        }
        if (buf.length < 7) break;
        const size = buf.readUInt32BE(3);
        if (buf.length < 8 + size) break;
        this.out(describeFrame(buf[0], buf.readUInt16BE(1), buf.subarray(7, 7 + size), this.protocol));
        buf = buf.subarray(8 + size);
      }
      this.pending = Buffer.from(buf); // a copy: the transport may reuse its buffers
    } catch (e) {
      this.broken = true;
      this.out(`(frame tracing stopped: ${(e as Error).message})`);
    }
  }
}

/** One frame as a line: `ch1 basic.publish { exchange: '', ... }`, `ch1 header ...`, `ch1 body 5 bytes`. */
export function describeFrame(type: number, channel: number, payload: Buffer, protocol: Protocol): string {
  const ch = `ch${channel}`;
  switch (type) {
    case FrameKind.METHOD: {
      const m = decodeMethod(payload, protocol);
      const args: Record<string, unknown> = { ...m.args };
      for (const name of SECRET_ARGS[m.name] ?? []) if (name in args) args[name] = REDACTED;
      return `${ch} ${m.name} ${show(args)}`;
    }
    case FrameKind.HEADER: {
      const h = decodeContentHeader(payload, protocol);
      return `${ch} header class ${h.classId}, body ${h.bodySize} bytes ${show(h.properties)}`;
    }
    case FrameKind.BODY:
      return `${ch} body ${payload.length} bytes`;
    case FrameKind.HEARTBEAT:
      return `${ch} heartbeat`;
    default:
      return `${ch} frame type ${type}, ${payload.length} bytes`;
  }
}

function show(value: object): string {
  return inspect(value, { breakLength: Infinity, depth: 4, maxArrayLength: 20, maxStringLength: 200 });
}

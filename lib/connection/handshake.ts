import type { FrameOutput } from '../channel/channel-host';
import { UnexpectedFrameError } from '../protocol/errors';
import type { FieldTable } from '../protocol/field-types';
import { FRAME_MIN_SIZE } from '../protocol/frame';
import type { AnyMethod, ArgsOf } from '../protocol/dispatch';
import type { MethodInput, MethodName } from '../protocol/method-codec';
import { PROTOCOL_HEADERS } from '../protocol/protocol-version';
import { clientProperties, negotiate } from './client-properties';
import type { CloseHandshake } from './close-handshake';
import { saslResponse } from './credentials';
import { AuthenticationError, ProtocolMismatchError, RedirectError, TuneError } from './errors';
import type { ConnectionSettings } from './settings';
import { CHANNEL_MAX_LIMIT } from './wire-limits';

/** The outcome of tune negotiation. */
export interface TuneResult {
  /** Highest channel number (1..65535). */
  channelMax: number;
  /** Largest frame either side may send, in bytes. */
  frameMax: number;
  /** Heartbeat interval in seconds; 0 when off. */
  heartbeat: number;
}

/** Steps of the opening handshake, in order. */
export type HandshakeStep = 'protocol-header' | 'start' | 'tune' | 'open-ok';

/** frame_max below which rx-amqp never proposes (RabbitMQ 4 refuses less). */
export const MIN_PROPOSED_FRAME_MAX = 8192;

/** Length of a protocol header ("AMQP" and four version octets). */
const PROTOCOL_HEADER_SIZE = 8;
/** The first octet of a protocol header, 'A': no frame starts with it (frame types are 1, 2, 3, 8). */
const PROTOCOL_HEADER_START = 0x41;

/** What the handshake does to its connection. */
export interface HandshakeHost {
  /** Where the protocol header goes. */
  readonly out: FrameOutput;
  /** Writes a method on channel 0. */
  send<N extends MethodName>(name: N, args: MethodInput<N>): void;
  /** Tune negotiation is done: these values are in force from now on (tune-ok follows). */
  tuned(tune: TuneResult): void;
  /** connection.open-ok arrived: the connection is open. */
  opened(): void;
}

/**
 * The client's side of the opening handshake (0-9-1 section 2.2.4): the protocol header, then
 * the server's start / secure / tune / open-ok answered with start-ok / secure-ok / tune-ok and
 * open. A connection.close from the server goes to the close handshake; anything else is an
 * {@link UnexpectedFrameError}.
 */
export class Handshake {
  step: HandshakeStep = 'protocol-header';
  serverProperties: FieldTable = {};
  /** What the server sent instead of connection.start when it answered with a protocol header. */
  private serverHeader: Buffer | null = null;

  constructor(
    private readonly options: ConnectionSettings,
    private readonly host: HandshakeHost,
    private readonly closeHandshake: Pick<CloseHandshake, 'onServerClose'>,
  ) {}

  /** The transport is connected: sends the protocol header and waits for connection.start. */
  begin(): void {
    this.host.out.bytes(PROTOCOL_HEADERS[this.options.protocol]);
    this.host.out.flush();
    this.step = 'start';
  }

  /**
   * Bytes from the server while waiting for connection.start: whether they are (the start of)
   * the server's own protocol header rather than a frame, i.e. the server refuses our version.
   * Throws {@link ProtocolMismatchError} once the whole header is in.
   */
  takeServerHeader(chunk: Uint8Array): boolean {
    if (this.step !== 'start' || (this.serverHeader === null && chunk[0] !== PROTOCOL_HEADER_START)) return false;
    this.serverHeader = Buffer.concat([this.serverHeader ?? Buffer.alloc(0), chunk]);
    if (this.serverHeader.length >= PROTOCOL_HEADER_SIZE) {
      throw new ProtocolMismatchError(this.options.protocol, this.serverHeader.subarray(0, PROTOCOL_HEADER_SIZE));
    }
    return true;
  }

  /** The refusal of our protocol version, when the server answered with (part of) its own header. */
  get versionRefused(): ProtocolMismatchError | undefined {
    return this.serverHeader ? new ProtocolMismatchError(this.options.protocol, this.serverHeader) : undefined;
  }

  /** What the handshake waits for, in words (for timeouts and errors). */
  get waitingFor(): string {
    const step = this.step;
    return step === 'protocol-header'
      ? 'the TCP connection'
      : step === 'start'
        ? 'connection.start'
        : step === 'tune'
          ? 'connection.tune'
          : 'connection.open-ok';
  }

  /**
   * Whether the server refuses a login with connection.close 403 (the
   * authentication_failure_close capability of 0-9-1) rather than by hanging up.
   */
  get serverSaysWhyLoginFails(): boolean {
    const capabilities = this.serverProperties.capabilities;
    return (
      this.options.protocol === '0-9-1' &&
      typeof capabilities === 'object' &&
      capabilities !== null &&
      'authentication_failure_close' in capabilities &&
      capabilities.authentication_failure_close === true
    );
  }

  /** A method on channel 0 during the handshake. Throws UnexpectedFrameError for one out of turn. */
  onMethod(m: AnyMethod): void {
    switch (m.name) {
      case 'connection.close':
        return this.closeHandshake.onServerClose(m.args, this.step === 'tune');
      case 'connection.start':
        if (this.step !== 'start') break;
        return this.host.send('connection.start-ok', this.onStart(m.args));
      case 'connection.secure':
        if (this.step !== 'tune') break;
        return this.host.send('connection.secure-ok', this.onSecure());
      case 'connection.tune': {
        if (this.step !== 'tune') break;
        const tuneOk = this.onTune(m.args);
        this.host.tuned(tuneOk);
        this.host.send('connection.tune-ok', tuneOk);
        return this.host.send('connection.open', { virtualHost: this.options.vhost, capabilities: '', insist: false });
      }
      case 'connection.open-ok':
        if (this.step !== 'open-ok') break;
        return this.host.opened();
      case 'connection.redirect':
        if (this.step !== 'open-ok') break;
        throw new RedirectError(m.args.host, m.args.knownHosts);
    }
    throw new UnexpectedFrameError(`unexpected ${m.name} during the handshake (waiting for ${this.waitingFor})`);
  }

  /** connection.start → the start-ok arguments. Throws AuthenticationError for a mechanism the server lacks. */
  private onStart(args: ArgsOf<'connection.start'>): MethodInput<'connection.start-ok'> {
    this.serverProperties = args.serverProperties;
    const offered = args.mechanisms.toString('utf8').split(/\s+/).filter(Boolean);
    const { mechanism, credentials, protocol, locale } = this.options;
    if (!offered.includes(mechanism)) {
      throw new AuthenticationError(`server offers SASL ${offered.join(', ') || 'nothing'}, not ${mechanism}`);
    }
    this.step = 'tune';
    return {
      clientProperties: clientProperties(protocol, this.options.clientProperties, this.options.connectionName),
      mechanism,
      response: saslResponse(mechanism, credentials),
      locale,
    };
  }

  /** connection.secure → the secure-ok arguments (PLAIN and AMQPLAIN answer with the same response). */
  private onSecure(): MethodInput<'connection.secure-ok'> {
    return { response: saslResponse(this.options.mechanism, this.options.credentials) };
  }

  /** connection.tune → the negotiated values, which are the tune-ok arguments. */
  private onTune(args: ArgsOf<'connection.tune'>): TuneResult {
    const o = this.options;
    // A frame_max under FRAME-MIN-SIZE is a server bug; answering with 4096 would exceed its limit.
    if (args.frameMax !== 0 && args.frameMax < FRAME_MIN_SIZE) {
      throw new TuneError(
        `server proposes frame_max ${args.frameMax}, below the protocol minimum of ${FRAME_MIN_SIZE}`,
      );
    }
    const proposedFrameMax = o.frameMax === 0 ? 0 : Math.max(o.frameMax, MIN_PROPOSED_FRAME_MAX);
    const frameMax = negotiate(proposedFrameMax, args.frameMax);
    this.step = 'open-ok';
    return {
      channelMax: negotiate(o.channelMax, args.channelMax) || CHANNEL_MAX_LIMIT,
      frameMax: frameMax === 0 ? 0 : Math.max(frameMax, FRAME_MIN_SIZE),
      heartbeat: o.heartbeat ?? args.heartbeat,
    };
  }
}

import type { FieldTable } from '../protocol/field-types';
import { FRAME_MIN_SIZE } from '../protocol/frame';
import { AuthenticationError, TuneError } from './errors';
import { clientProperties, negotiate } from './client-properties';
import { saslResponse } from './credentials';
import type { ConnectionSettings } from './settings';

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

/**
 * The client's side of the opening handshake (0-9-1 section 2.2.4): pure decisions, no I/O.
 * The connection feeds it the server's methods and writes what it answers.
 */
export class Handshake {
  step: HandshakeStep = 'protocol-header';
  serverProperties: FieldTable = {};
  tune: TuneResult | undefined;

  constructor(private readonly options: ConnectionSettings) {}

  /** connection.start → the start-ok arguments. Throws AuthenticationError for a mechanism the server lacks. */
  onStart(args: { serverProperties: FieldTable; mechanisms: Buffer; locales: Buffer }): object {
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
  onSecure(): object {
    return { response: saslResponse(this.options.mechanism, this.options.credentials) };
  }

  /** connection.tune → the negotiated values (the tune-ok arguments) and the open arguments. */
  onTune(args: { channelMax: number; frameMax: number; heartbeat: number }): { tuneOk: TuneResult; open: object } {
    const o = this.options;
    // A frame_max under FRAME-MIN-SIZE is a server bug; answering with 4096 would exceed its limit.
    if (args.frameMax !== 0 && args.frameMax < FRAME_MIN_SIZE) {
      throw new TuneError(
        `server proposes frame_max ${args.frameMax}, below the protocol minimum of ${FRAME_MIN_SIZE}`,
      );
    }
    const proposedFrameMax = o.frameMax === 0 ? 0 : Math.max(o.frameMax, MIN_PROPOSED_FRAME_MAX);
    const frameMax = negotiate(proposedFrameMax, args.frameMax);
    const tune: TuneResult = {
      channelMax: negotiate(o.channelMax, args.channelMax) || 0xffff,
      frameMax: frameMax === 0 ? 0 : Math.max(frameMax, FRAME_MIN_SIZE),
      heartbeat: o.heartbeat ?? args.heartbeat,
    };
    this.tune = tune;
    this.step = 'open-ok';
    return {
      tuneOk: tune,
      open: { virtualHost: o.vhost, capabilities: '', insist: false },
    };
  }
}

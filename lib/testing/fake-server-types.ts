/**
 * The data types of the scripted fake server ({@link FakeServer}) that do not name the server
 * itself: what it received, what a login said, what it proposes in tune, which answers are
 * on and how a connection ended.
 */
import type { MethodArgs, MethodName } from '../protocol/method-codec';

/** A method the fake server received from the client, decoded. */
export interface ReceivedMethod<N extends MethodName = MethodName> {
  /** The channel it came on (0 for connection methods). */
  channel: number;
  classId: number;
  methodId: number;
  /** `class.method`, e.g. `'basic.publish'`. */
  name: N;
  /** The decoded arguments (camelCase). */
  args: MethodArgs<N> & Record<string, unknown>;
  /** For content methods (`basic.publish`): the content properties. */
  properties?: Record<string, unknown>;
  /** For content methods (`basic.publish`): the whole body, reassembled from its frames. */
  body?: Buffer;
}

/** What the client's SASL response said, as given to {@link FakeServerOptions.authenticate}. */
export interface FakeLogin {
  mechanism: string;
  /** The raw SASL response. */
  response: Buffer;
  /** Parsed from a PLAIN or AMQPLAIN response. */
  username?: string;
  /** Parsed from a PLAIN or AMQPLAIN response. */
  password?: string;
}

/** The values the fake server proposes in `connection.tune`. */
export interface FakeTune {
  /** Default 2047. */
  channelMax?: number;
  /** Default 131072. */
  frameMax?: number;
  /** Seconds. Default 0 (off), so that tests do not start real heartbeat timers by accident. */
  heartbeat?: number;
}

/** Which automatic answers are on (all by default). */
export interface FakeServerAnswers {
  /** connection.start on the protocol header, tune (or secure) after start-ok, open-ok after open. */
  handshake?: boolean;
  /** channel.open-ok for channel.open. */
  channelOpen?: boolean;
  /** channel.close-ok for channel.close. */
  channelClose?: boolean;
  /** connection.close-ok for connection.close. */
  connectionClose?: boolean;
}

/** How the last connection ended, from the server's point of view. */
export type FakeCloseReason = 'client-end' | 'client-destroy' | 'server-drop' | 'refused';

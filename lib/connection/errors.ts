/**
 * Errors of the connection layer: the socket, the handshake, the connection's close. Errors of a
 * channel (closed, cancelled, nacked, returned, not open, unsupported) live in the channel layer
 * (`lib/channel/errors.ts`), errors of the codec in `lib/protocol/errors.ts`.
 */

import { describeCloseCause, type CloseReason } from '../protocol/close-reason';
import { AmqpError, ReplyCode } from '../protocol/errors';

export type { CloseReason } from '../protocol/close-reason';

/** The server closed the connection (`connection.close`). `code` is the reply code. */
export class ConnectionClosedError extends AmqpError {
  readonly replyCode: number;
  readonly replyText: string;
  readonly classId: number;
  readonly methodId: number;

  constructor(reason: CloseReason, what = 'server closed the connection') {
    super(`${what}: ${reason.replyCode} ${reason.replyText}${describeCloseCause(reason)}`, reason.replyCode);
    this.replyCode = reason.replyCode;
    this.replyText = reason.replyText;
    this.classId = reason.classId;
    this.methodId = reason.methodId;
  }
}

/** Login refused: wrong username or password, or a mechanism the server refuses (403). */
export class AuthenticationError extends AmqpError {
  constructor(message: string) {
    super(message, ReplyCode.ACCESS_REFUSED);
  }
}

/** The socket closed or failed without a close handshake. `cause` holds the socket error. */
export class ConnectionLostError extends AmqpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, undefined, options);
  }
}

/** Nothing was heard from the server for two heartbeat intervals. */
export class HeartbeatTimeoutError extends ConnectionLostError {
  constructor(readonly heartbeat: number) {
    super(`no frame from the server for two heartbeat intervals (${heartbeat} s each)`);
  }
}

/** Connecting, or the handshake, took longer than `connectionTimeout`. */
export class ConnectionTimeoutError extends AmqpError {
  constructor(
    readonly timeout: number,
    stage: string,
  ) {
    super(`connection timed out after ${timeout} ms (${stage})`);
  }
}

/** The server does not speak the requested dialect; it answered with its own header. */
export class ProtocolMismatchError extends AmqpError {
  constructor(
    readonly requested: string,
    readonly serverHeader: Uint8Array,
  ) {
    const v = Array.from(serverHeader.subarray(4, 8)).join('-');
    super(`server does not accept AMQP ${requested}; it offers protocol header AMQP ${v}`);
  }
}

/** The 0-8 server asked the client to go to another host (`connection.redirect`). */
export class RedirectError extends AmqpError {
  constructor(
    readonly host: string,
    readonly knownHosts: string,
  ) {
    super(`server redirected the connection to ${host}`);
  }
}

/**
 * The server proposed tune values the client cannot accept, such as a frame_max below the
 * protocol minimum of 4096 (530, NOT_ALLOWED, as RabbitMQ answers the same mistake).
 */
export class TuneError extends AmqpError {
  constructor(message: string) {
    super(message, ReplyCode.NOT_ALLOWED);
  }
}

/** A timed-out operation (an RPC call, a close that did not finish). */
export class TimeoutError extends AmqpError {
  constructor(message: string) {
    super(message);
  }
}

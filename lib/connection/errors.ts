import { AmqpError, ReplyCode } from '../protocol/errors';

/** Details of a `connection.close` or `channel.close` sent by the server. */
export interface CloseReason {
  replyCode: number;
  replyText: string;
  /** Class and method that caused it (0 when none). */
  classId: number;
  methodId: number;
}

function describeCause(r: CloseReason): string {
  return r.classId ? ` (caused by method ${r.classId}/${r.methodId})` : '';
}

/** The server closed the connection (`connection.close`). `code` is the reply code. */
export class ConnectionClosedError extends AmqpError {
  readonly replyCode: number;
  readonly replyText: string;
  readonly classId: number;
  readonly methodId: number;

  constructor(reason: CloseReason, what = 'server closed the connection') {
    super(`${what}: ${reason.replyCode} ${reason.replyText}${describeCause(reason)}`, reason.replyCode);
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

/** The server closed a channel (`channel.close`): a soft error such as 404 or 406. */
export class ChannelClosedError extends AmqpError {
  readonly channel: number;
  readonly replyCode: number;
  readonly replyText: string;
  readonly classId: number;
  readonly methodId: number;

  constructor(channel: number, reason: CloseReason) {
    super(`server closed channel ${channel}: ${reason.replyCode} ${reason.replyText}${describeCause(reason)}`, reason.replyCode);
    this.channel = channel;
    this.replyCode = reason.replyCode;
    this.replyText = reason.replyText;
    this.classId = reason.classId;
    this.methodId = reason.methodId;
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
  constructor(readonly timeout: number, stage: string) {
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

/** The operation needs an open channel or connection, and this one is closing or closed. */
export class NotOpenError extends AmqpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, undefined, options);
  }
}

/** A method this dialect does not have (e.g. `confirm.select` in 0-8). */
export class UnsupportedError extends AmqpError {
  constructor(message: string) {
    super(message, ReplyCode.NOT_IMPLEMENTED);
  }
}

/** The server cancelled a consumer (`basic.cancel`), e.g. because its queue was deleted. */
export class ConsumerCancelledError extends AmqpError {
  constructor(readonly consumerTag: string) {
    super(`server cancelled consumer ${consumerTag}`);
  }
}

/** The broker refused a published message (`basic.nack` in confirm mode). */
export class PublishNackedError extends AmqpError {
  constructor(readonly sequence: number) {
    super(`broker nacked published message #${sequence}`);
  }
}

/** A mandatory (or immediate) message came back with `basic.return`. */
export class MessageReturnedError extends AmqpError {
  constructor(
    readonly replyCode: number,
    readonly replyText: string,
    readonly exchange: string,
    readonly routingKey: string,
  ) {
    super(`message returned: ${replyCode} ${replyText} (exchange '${exchange}', routing key '${routingKey}')`, replyCode);
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
 * The server announced a message body larger than the client accepts (`maxBodySize`). The
 * body is never buffered: the connection ends with this error (311, CONTENT_TOO_LARGE).
 */
export class MessageTooLargeError extends AmqpError {
  constructor(
    readonly size: number | bigint,
    readonly limit: number,
  ) {
    super(`message body of ${size} bytes exceeds the limit of ${limit} (maxBodySize)`, ReplyCode.CONTENT_TOO_LARGE);
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

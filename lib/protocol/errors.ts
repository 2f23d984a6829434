/**
 * Typed errors of the protocol layer. Every error the codec raises is an {@link AmqpError};
 * those that correspond to an AMQP connection exception carry its reply code.
 */

import { Reply } from './generated/constants';

export { ReplyCode } from './generated/constants';

/** Base class of every error rx-amqp raises. `code` is an AMQP reply code where one applies. */
export class AmqpError extends Error {
  /** AMQP reply code, when the error corresponds to one. */
  readonly code: number | undefined;

  constructor(message: string, code?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Malformed framing: bad frame end, frame over frame_max, heartbeat off channel 0 (501). */
export class FrameError extends AmqpError {
  constructor(message: string) {
    super(message, Reply.FRAME_ERROR);
  }
}

/** A frame whose contents cannot be decoded: truncated fields, bad tags, invalid UTF-8 (502). */
export class FrameSyntaxError extends AmqpError {
  constructor(message: string) {
    super(message, Reply.SYNTAX_ERROR);
  }
}

/** A frame that is valid but not allowed here: unknown frame type, body before header (505). */
export class UnexpectedFrameError extends AmqpError {
  constructor(message: string) {
    super(message, Reply.UNEXPECTED_FRAME);
  }
}

/** A class or method id that the dialect does not define (540). */
export class UnknownMethodError extends AmqpError {
  constructor(
    readonly classId: number,
    readonly methodId: number,
    protocol: string,
  ) {
    super(`unknown method ${classId}/${methodId} in AMQP ${protocol}`, Reply.NOT_IMPLEMENTED);
  }
}

/**
 * A value that cannot be put on the wire: out of range, wrong type, a short string over
 * 255 bytes, a field type the dialect lacks. Raised before any byte is written.
 */
export class EncodeError extends AmqpError {
  constructor(message: string) {
    super(message);
  }
}

/**
 * Typed errors of the protocol layer. Every error the codec raises is an {@link AmqpError};
 * those that correspond to an AMQP connection exception carry its reply code.
 */

/** AMQP reply codes (0-9-1 section 1.2, shared by 0-8). */
export const ReplyCode = {
  SUCCESS: 200,
  CONTENT_TOO_LARGE: 311,
  NO_ROUTE: 312,
  NO_CONSUMERS: 313,
  CONNECTION_FORCED: 320,
  INVALID_PATH: 402,
  ACCESS_REFUSED: 403,
  NOT_FOUND: 404,
  RESOURCE_LOCKED: 405,
  PRECONDITION_FAILED: 406,
  FRAME_ERROR: 501,
  SYNTAX_ERROR: 502,
  COMMAND_INVALID: 503,
  CHANNEL_ERROR: 504,
  UNEXPECTED_FRAME: 505,
  RESOURCE_ERROR: 506,
  NOT_ALLOWED: 530,
  NOT_IMPLEMENTED: 540,
  INTERNAL_ERROR: 541,
} as const;

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
    super(message, ReplyCode.FRAME_ERROR);
  }
}

/** A frame whose contents cannot be decoded: truncated fields, bad tags, invalid UTF-8 (502). */
export class FrameSyntaxError extends AmqpError {
  constructor(message: string) {
    super(message, ReplyCode.SYNTAX_ERROR);
  }
}

/** A frame that is valid but not allowed here: unknown frame type, body before header (505). */
export class UnexpectedFrameError extends AmqpError {
  constructor(message: string) {
    super(message, ReplyCode.UNEXPECTED_FRAME);
  }
}

/** A class or method id that the dialect does not define (540). */
export class UnknownMethodError extends AmqpError {
  constructor(
    readonly classId: number,
    readonly methodId: number,
    protocol: string,
  ) {
    super(`unknown method ${classId}/${methodId} in AMQP ${protocol}`, ReplyCode.NOT_IMPLEMENTED);
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

/**
 * Errors of the channel layer: what a channel, a consumer or a publish can fail with. The channel
 * layer owns them so it never imports the connection layer (see ARCHITECTURE.md, "Layers").
 */

import { describeCloseCause, type CloseReason } from '../protocol/close-reason';
import { AmqpError, ReplyCode } from '../protocol/errors';

/** The server closed a channel (`channel.close`): a soft error such as 404 or 406. */
export class ChannelClosedError extends AmqpError {
  readonly channel: number;
  readonly replyCode: number;
  readonly replyText: string;
  readonly classId: number;
  readonly methodId: number;

  constructor(channel: number, reason: CloseReason) {
    super(
      `server closed channel ${channel}: ${reason.replyCode} ${reason.replyText}${describeCloseCause(reason)}`,
      reason.replyCode,
    );
    this.channel = channel;
    this.replyCode = reason.replyCode;
    this.replyText = reason.replyText;
    this.classId = reason.classId;
    this.methodId = reason.methodId;
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
    super(
      `message returned: ${replyCode} ${replyText} (exchange '${exchange}', routing key '${routingKey}')`,
      replyCode,
    );
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

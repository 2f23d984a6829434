import { AmqpError } from '../protocol/errors';

/** An `ackAfter` handler ran past its `timeout`: its signal aborted, its delivery was settled per `onError`. */
export class HandlerTimeoutError extends AmqpError {
  constructor(readonly timeout: number) {
    super(`handler did not finish within ${timeout} ms`);
  }
}

/** A `publishTo` message was not settled (confirmed, nacked, returned) within its `timeout`. */
export class PublishTimeoutError extends AmqpError {
  constructor(readonly timeout: number) {
    super(`publish not settled within ${timeout} ms`);
  }
}

/** `publishTo` had `maxBuffered` inputs waiting to be published when another arrived. */
export class PublishOverflowError extends AmqpError {
  constructor(readonly maxBuffered: number) {
    super(`more than ${maxBuffered} inputs waiting to be published`);
  }
}

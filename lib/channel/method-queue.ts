import type { MethodDef } from '../protocol/definitions';

/** A synchronous method waiting for, or awaiting its turn to be sent and get, its reply. */
export interface PendingCall {
  readonly def: MethodDef;
  readonly args: object;
  /** True when the method is sent with nowait (or has no reply): done once written. */
  readonly noReply: boolean;
  sent: boolean;
  /** The caller lost interest: the reply is still awaited (to keep order) but dropped. */
  abandoned: boolean;
  /** Called with the reply's name, args and, for basic.get-ok, the delivery. */
  resolve(reply: string, args: object, content?: unknown): void;
  reject(error: Error): void;
}

/**
 * A call of `def` with `args`, not yet sent. `noReply`: sent in order without awaiting a
 * reply (nowait), which a method without a reply always is.
 */
export function pendingCall(
  def: MethodDef,
  args: object,
  noReply: boolean,
  resolve: PendingCall['resolve'],
  reject: PendingCall['reject'],
): PendingCall {
  return { def, args, noReply: noReply || !def.synchronous, sent: false, abandoned: false, resolve, reject };
}

/**
 * The synchronous-method queue of a channel: one outstanding synchronous method per channel
 * (0-9-1 section 2.2.2 allows no more), the rest queued in order. Replies carry no correlation
 * id; order is the correlation. (Not the request/reply messaging pattern of `lib/rpc/`.)
 */
export class MethodQueue {
  private readonly queue: PendingCall[] = [];

  constructor(private readonly send: (call: PendingCall) => void) {}

  /** The call awaiting a reply, if one was sent. */
  get head(): PendingCall | undefined {
    const h = this.queue[0];
    return h?.sent ? h : undefined;
  }

  /** Queues a call; sends it if nothing is outstanding. */
  enqueue(call: PendingCall): void {
    this.queue.push(call);
    if (this.queue.length === 1) this.pump();
  }

  /** Removes a call not yet sent; true if it was removed. */
  withdraw(call: PendingCall): boolean {
    const i = this.queue.indexOf(call);
    if (i <= 0 || call.sent) return false;
    this.queue.splice(i, 1);
    return true;
  }

  /** Completes the outstanding call with its reply and sends the next. */
  complete(reply: string, args: object, content?: unknown): void {
    const head = this.queue.shift()!;
    if (!head.abandoned) head.resolve(reply, args, content);
    this.pump();
  }

  /** Fails every call, sent or not, and empties the queue. */
  failAll(error: Error): void {
    const calls = this.queue.splice(0);
    for (const c of calls) if (!c.abandoned) c.reject(error);
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.queue[0].sent) {
      const call = this.queue[0];
      call.sent = true;
      try {
        this.send(call);
      } catch (e) {
        // Could not be encoded (or the channel is gone): nothing was written for it.
        this.queue.shift();
        if (!call.abandoned) call.reject(e as Error);
        continue;
      }
      if (!call.noReply) return;
      this.queue.shift();
      if (!call.abandoned) call.resolve('', {});
    }
  }
}

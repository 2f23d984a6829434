import { Observable } from 'rxjs';
import type { ChannelCore } from './channel-core';
import type { TicketOption } from './channel-options';

/**
 * A method the server answers, as a cold Observable: subscribing queues it on the channel's
 * synchronous-method queue (`core.call`), the reply's arguments (and content, for
 * `basic.get-ok`) go through `project`, whose value is emitted once before completing; a
 * throw of `project` errors instead. Unsubscribing before the reply withdraws the method if it
 * was not sent yet, else marks it abandoned (its reply is then dropped). With `noReply` it is
 * sent in order without waiting for an answer (`nowait`) and `project` runs once it is written.
 */
export function request<T>(
  core: ChannelCore,
  name: string,
  args: object,
  noReply: boolean,
  project: (args: object, content?: unknown) => T,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    let settled = false;
    const call = core.call(
      name,
      args,
      noReply,
      (_reply, replyArgs, content) => {
        settled = true;
        let value: T;
        try {
          value = project(replyArgs, content);
        } catch (e) {
          subscriber.error(e);
          return;
        }
        subscriber.next(value);
        subscriber.complete();
      },
      (e) => {
        settled = true;
        subscriber.error(e);
      },
    );
    return () => {
      if (settled) return;
      if (!core.methods.withdraw(call)) call.abandoned = true;
    };
  });
}

/** The options with the channel's ticket (from the last accessRequest) unless they name one. */
export function ticketed<T extends TicketOption>(core: ChannelCore, options: T): T & { ticket: number } {
  return { ...options, ticket: options.ticket ?? core.ticket };
}

/** A `project` for replies that carry nothing the caller wants. */
export function noValue(): void {
  return undefined;
}

/** The `messageCount` of a queue.purge-ok / queue.delete-ok (0 after a `nowait`). */
export function messageCount(a: object): number {
  return (a as { messageCount?: number }).messageCount ?? 0;
}

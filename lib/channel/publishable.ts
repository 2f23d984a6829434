import { Message } from '../message';
import type { PublishOptions } from './channel-options';
import { withFilterValue } from './stream-filter';

/** A message body as accepted by the publish methods: a Message, a string or bytes. */
export type Publishable = Message | string | Uint8Array;

/** A Message from any publishable value. */
export function toMessage(m: Publishable): Message {
  return m instanceof Message ? m : new Message(m);
}

/** The Message a publish sends: with `filterValue`, tagged for stream filtering. */
export function publishable(message: Publishable, options: PublishOptions): Message {
  return options.filterValue === undefined ? toMessage(message) : withFilterValue(message, options.filterValue);
}

import type { MonoTypeOperatorFunction } from 'rxjs';
import type { AccessRequestOptions } from '../channel/channel-options';
import type { Channel } from '../facades';
import { perform } from './perform';

/**
 * `access.request` on each channel; the ticket becomes the channel's default (0-8 model).
 */
export function accessRequest(
  realm: string,
  permissions: AccessRequestOptions = {},
): MonoTypeOperatorFunction<Channel> {
  return perform((ch) => ch.accessRequest(realm, permissions));
}

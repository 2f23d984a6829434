import type { ReconnectPolicy } from './options';

/**
 * Delay before reconnect attempt `attempt` (1-based): exponential from `initialDelay` by
 * `multiplier`, capped at `maxDelay`, spread by ±`jitter` (a fraction) using `random`.
 */
export function backoffDelay(
  policy: Required<ReconnectPolicy>,
  attempt: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(policy.maxDelay, policy.initialDelay * policy.multiplier ** Math.max(0, attempt - 1));
  const spread = base * policy.jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(Math.min(policy.maxDelay, base + spread)));
}

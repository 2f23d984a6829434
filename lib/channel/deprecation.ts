/** Warnings about options that brokers are dropping, each given once per process. */

const warned = new Set<string>();

/**
 * Emits a `DeprecationWarning` with `code` through `process.emitWarning` the first time it is
 * called with that code (later calls do nothing), so a redeclare in a loop or after every
 * reconnect does not flood the log. Outside Node (no `process.emitWarning`) it does nothing.
 */
export function warnOnce(code: string, message: string): void {
  if (warned.has(code)) return;
  warned.add(code);
  const emit = (
    globalThis as { process?: { emitWarning?: (message: string, options: { type: string; code: string }) => void } }
  ).process?.emitWarning;
  emit?.call(globalThis.process, message, { type: 'DeprecationWarning', code });
}

/** The code of the warning about `queueMode` (`x-queue-mode`). */
export const QUEUE_MODE_WARNING = 'RX_AMQP_QUEUE_MODE';

/** What the `queueMode` warning says. */
export const QUEUE_MODE_MESSAGE =
  'queueMode (x-queue-mode) is deprecated: RabbitMQ 3.12 ignores it (classic queues v2 keep messages on disk anyway) and RabbitMQ 4.3 refuses to declare a queue with it. Remove the option.';

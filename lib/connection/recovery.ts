import { catchError, EMPTY, throwError, type MonoTypeOperatorFunction } from 'rxjs';

const recoverable = new WeakSet<object>();

/** @internal Marks an error as "this connection is gone and `connect()` is reconnecting". */
export function markRecoverable(error: Error): void {
  recoverable.add(error);
}

/**
 * Whether an error only means that the connection it came from was lost while `connect()`
 * (with a `reconnect` policy) is establishing a new one. The operators end their inner
 * streams quietly on such errors and carry on with the next connection.
 */
export function isRecoverable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && recoverable.has(error);
}

/**
 * Completes instead of erroring when the error is {@link isRecoverable}: used inside the
 * `switchMap`s of the operators, so that a lost connection ends the work done on it while
 * the pipeline waits for the reconnected one.
 */
export function endOnRecoverable<T>(): MonoTypeOperatorFunction<T> {
  return catchError((error) => (isRecoverable(error) ? EMPTY : throwError(() => error)));
}

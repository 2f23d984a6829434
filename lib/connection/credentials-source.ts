/**
 * The `credentials` option of `connect()`: a fixed pair, a function asked on every connection
 * attempt, or an Observable whose latest value is used (and whose new values are sent to an
 * open connection as `connection.update-secret`). Whatever the provider does wrong (throws,
 * rejects, errors, gives something that is not a pair) becomes a {@link CredentialsProviderError};
 * no exception of the provider escapes, and no error message quotes what it returned.
 */
import { inspect } from 'node:util';
import { isObservable, type Observable, type Subscription } from 'rxjs';
import { AmqpError } from '../protocol/errors';
import { Credentials } from './credentials';

/** A username and password, as a credentials provider gives them. */
export interface CredentialsValue {
  username: string;
  password: string;
}

/**
 * What `connect({ credentials })` accepts:
 * - a `{ username, password }` pair (the same on every attempt);
 * - a function returning one, or a Promise of one: called again before every connection
 *   attempt, reconnects included (e.g. to fetch a fresh OAuth2 token);
 * - an Observable of them: subscribed once per `connect()` subscription; each attempt uses
 *   its latest value (the first attempt waits for one). A new value while a connection is open
 *   is sent as `connection.update-secret` (0-9-1; the broker re-authenticates the connection
 *   without closing it). In 0-8 there is no such method: the new value is used from the next
 *   connection attempt on.
 */
export type CredentialsOption =
  | CredentialsValue
  | (() => CredentialsValue | PromiseLike<CredentialsValue>)
  | Observable<CredentialsValue>;

/**
 * The `credentials` option as the resolved options keep it: in a true private field, so that
 * `util.inspect` of a connection (whose options hold it) never shows a password that a pair
 * or an Observable's current value carries.
 */
export class HiddenCredentialsOption {
  readonly #option: CredentialsOption;

  constructor(option: CredentialsOption) {
    this.#option = option;
  }

  /** The option as given. */
  get option(): CredentialsOption {
    return this.#option;
  }

  /** @internal What `util.inspect` shows: nothing of the option. */
  [inspect.custom](): string {
    return 'CredentialsOption {}';
  }

  /** What `JSON.stringify` writes: nothing of the option. */
  toJSON(): object {
    return {};
  }
}

/**
 * The credentials provider failed for a connection attempt: it threw, its Promise rejected,
 * its Observable errored or completed without a value, or it gave something that is not a
 * `{ username, password }` pair of strings. `cause` holds the provider's own error.
 *
 * `retryable` tells whether `connect()` with `reconnect` tries again (with backoff, counted in
 * `maxAttempts`): yes when the provider threw or rejected (a token endpoint may be down for a
 * moment; it is asked again on the next attempt), no when its Observable ended or it gave a
 * malformed value (asking again cannot help).
 */
export class CredentialsProviderError extends AmqpError {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, undefined, options);
  }
}

/** Turns a provider's value into {@link Credentials}, or throws a {@link CredentialsProviderError} that does not quote it. */
function toCredentials(value: unknown): Credentials {
  if (typeof value !== 'object' || value === null) {
    throw new CredentialsProviderError(
      `credentials provider gave ${value === null ? 'null' : typeof value}, not { username, password }`,
      false,
    );
  }
  const { username, password } = value as Record<string, unknown>;
  if (typeof username !== 'string' || typeof password !== 'string') {
    throw new CredentialsProviderError('credentials provider gave a value without string username and password', false);
  }
  return new Credentials(username, password);
}

function providerFailed(what: string, cause: unknown): CredentialsProviderError {
  return cause instanceof CredentialsProviderError
    ? cause
    : new CredentialsProviderError(`credentials provider ${what}`, true, { cause });
}

/**
 * The credentials of one `connect()` subscription. {@link get} is asked once per connection
 * attempt; {@link start} subscribes an Observable provider, {@link stop} lets it go.
 */
export class CredentialsSource {
  private latest: Credentials | undefined;
  private failure: CredentialsProviderError | undefined;
  private waiters: Array<{ resolve: (c: Credentials) => void; reject: (e: CredentialsProviderError) => void }> = [];
  private subscription: Subscription | undefined;

  /**
   * @param option the `credentials` option (undefined: the fixed `fallback`)
   * @param fallback the username and password from the URL or the `username`/`password` options
   */
  constructor(
    private readonly option: CredentialsOption | undefined,
    private readonly fallback: Credentials,
  ) {}

  /** The latest value of an Observable provider (undefined before its first, and for the other forms). */
  get current(): Credentials | undefined {
    return this.latest;
  }

  /**
   * Subscribes an Observable provider; `changed` is called with each value that follows the
   * first one (the value the open connection should switch to). Never throws.
   */
  start(changed: (credentials: Credentials) => void): void {
    const option = this.option;
    if (!isObservable(option)) return;
    this.subscription = option.subscribe({
      next: (value) => {
        let credentials: Credentials;
        try {
          credentials = toCredentials(value);
        } catch (e) {
          return this.fail(e as CredentialsProviderError);
        }
        const first = this.latest === undefined;
        this.latest = credentials;
        for (const w of this.waiters.splice(0)) w.resolve(credentials);
        if (!first) changed(credentials);
      },
      error: (e) => this.fail(new CredentialsProviderError('credentials Observable errored', false, { cause: e })),
      complete: () => {
        if (this.latest === undefined)
          this.fail(new CredentialsProviderError('credentials Observable completed without a value', false));
      },
    });
  }

  /** Unsubscribes an Observable provider; pending {@link get}s are never called back (their attempt is abandoned). */
  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.waiters = [];
  }

  /**
   * Gets the credentials for a connection attempt and calls back exactly once: at once for a
   * pair, a synchronous function or an Observable that has a value; when the Promise settles
   * or the Observable emits otherwise (so virtual-time schedulers see Observable providers on
   * time). `fail` gets a {@link CredentialsProviderError}. Never throws.
   */
  get(use: (credentials: Credentials) => void, fail: (error: CredentialsProviderError) => void): void {
    const option = this.option;
    if (option === undefined) return use(this.fallback);
    if (isObservable(option)) {
      if (this.failure) return fail(this.failure);
      if (this.latest) return use(this.latest);
      this.waiters.push({ resolve: use, reject: fail });
      return;
    }
    let result: CredentialsValue | PromiseLike<CredentialsValue>;
    try {
      if (typeof option !== 'function') return use(toCredentials(option));
      result = option();
      if (!isPromiseLike(result)) return use(toCredentials(result));
    } catch (e) {
      return fail(providerFailed('threw', e));
    }
    Promise.resolve(result).then(
      (value) => {
        let credentials: Credentials;
        try {
          credentials = toCredentials(value);
        } catch (e) {
          return fail(e as CredentialsProviderError);
        }
        use(credentials);
      },
      (e: unknown) => fail(providerFailed('rejected', e)),
    );
  }

  private fail(error: CredentialsProviderError): void {
    this.failure = error;
    for (const w of this.waiters.splice(0)) w.reject(error);
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<CredentialsValue> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

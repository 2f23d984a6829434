import { BehaviorSubject, filter, map, type Observable, Subject, take } from 'rxjs';
import { UnexpectedFrameError } from '../protocol/errors';
import type { AnyMethod, IncomingMethodName } from '../protocol/dispatch';
import type { CloseHandshake } from './close-handshake';

/**
 * Channel 0 of an open connection: the server's connection.close and close-ok, its flow
 * control of the whole connection (connection.blocked / unblocked), and replies to methods the
 * client sent on channel 0 (update-secret-ok). The handshake's methods are the handshake's.
 */
export class ChannelZero {
  /** True while the server blocks publishing (connection.blocked, e.g. a memory alarm). */
  readonly blocked$ = new BehaviorSubject<boolean>(false);
  /** The reason the server gave for blocking ('' when not blocked). */
  blockedReason = '';
  /** Names of the replies that arrived, for {@link waitFor}. */
  private readonly replies$ = new Subject<IncomingMethodName>();

  constructor(
    /** Takes the server's connection.close and close-ok. */
    private readonly closeHandshake: Pick<CloseHandshake, 'onServerClose' | 'onCloseOk'>,
  ) {}

  /** A method on channel 0 after the handshake. Throws UnexpectedFrameError for one a server must not send. */
  onMethod(m: AnyMethod): void {
    switch (m.name) {
      case 'connection.close':
        return this.closeHandshake.onServerClose(m.args);
      case 'connection.close-ok':
        return this.closeHandshake.onCloseOk();
      case 'connection.blocked':
        this.blockedReason = m.args.reason;
        if (!this.blocked$.value) this.blocked$.next(true);
        return;
      case 'connection.unblocked':
        this.blockedReason = '';
        if (this.blocked$.value) this.blocked$.next(false);
        return;
      case 'connection.update-secret-ok':
        this.replies$.next(m.name);
        return;
      default:
        throw new UnexpectedFrameError(`unexpected ${m.name} on channel 0`);
    }
  }

  /** Completes when the server next sends method `name` on channel 0; errors if the connection ends first. */
  waitFor(name: IncomingMethodName): Observable<void> {
    return this.replies$.pipe(
      filter((n) => n === name),
      take(1),
      map(() => undefined),
    );
  }

  /** The connection ended: `blocked$` completes, and whoever waits for a reply gets `error`. */
  end(error: Error): void {
    this.blocked$.complete();
    this.replies$.error(error);
  }
}

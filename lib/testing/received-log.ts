/**
 * What the fake server received from the client, over all its connections: every frame and
 * every method, as arrays, as hot Observables, and as promises of a method still to come.
 */
import { type Observable, Subject } from 'rxjs';
import { FrameType, type Frame } from '../protocol/frame';
import type { MethodName } from '../protocol/method-codec';
import type { ReceivedMethod } from './fake-server-types';

/** A pending `waitFor`. */
interface Waiter {
  match: (m: ReceivedMethod) => boolean;
  resolve: (m: ReceivedMethod) => void;
}

/** The fake server's record of what it received (see the file's documentation). */
export class ReceivedLog {
  /** Every method, in order (content methods once their body is complete). */
  readonly methods: ReceivedMethod[] = [];
  /** Every frame, heartbeats included (payloads copied). */
  readonly frames: Frame[] = [];
  private readonly methods$$ = new Subject<ReceivedMethod>();
  private readonly frames$$ = new Subject<Frame>();
  private waiters: Waiter[] = [];

  /** Methods as they arrive (no replay). */
  get methods$(): Observable<ReceivedMethod> {
    return this.methods$$.asObservable();
  }

  /** Frames as they arrive (no replay). */
  get frames$(): Observable<Frame> {
    return this.frames$$.asObservable();
  }

  /** Heartbeat frames received so far. */
  get heartbeats(): number {
    return this.frames.filter((f) => f.type === FrameType.HEARTBEAT).length;
  }

  /** Records a frame. */
  frame(frame: Frame): void {
    this.frames.push(frame);
    this.frames$$.next(frame);
  }

  /** Records a method and resolves the waiters it matches. */
  method(m: ReceivedMethod): void {
    this.methods.push(m);
    this.methods$$.next(m);
    for (const w of this.waiters.filter((w) => w.match(m))) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(m);
    }
  }

  /** The methods received with a name (all of them without one). */
  named<N extends MethodName>(name?: N): ReceivedMethod<N>[] {
    return (name === undefined ? this.methods : this.methods.filter((m) => m.name === name)) as ReceivedMethod<N>[];
  }

  /** The first method with this name (and matching `where`), already received or still to come. */
  waitFor<N extends MethodName>(name: N, where?: (m: ReceivedMethod<N>) => boolean): Promise<ReceivedMethod<N>> {
    const match = (m: ReceivedMethod) => m.name === name && (!where || where(m as ReceivedMethod<N>));
    const found = this.methods.find(match);
    if (found) return Promise.resolve(found as ReceivedMethod<N>);
    return new Promise((resolve) => this.waiters.push({ match, resolve: resolve as (m: ReceivedMethod) => void }));
  }
}

import type { SchedulerLike, Subscription } from 'rxjs';
import type { FrameOutput } from '../channel/channel-host';
import { FRAME_END, FrameType } from '../protocol/frame';
import { HeartbeatTimeoutError } from './errors';

/** A heartbeat frame: type 8 on channel 0, empty payload. */
const HEARTBEAT_FRAME = Uint8Array.of(FrameType.HEARTBEAT, 0, 0, 0, 0, 0, 0, FRAME_END);

/**
 * Heartbeats per 0-9-1 section 4.2.7, on a scheduler so that marble tests drive them.
 * It ticks every half interval: a tick with nothing written since the last one sends a
 * heartbeat; four silent ticks in a row (two whole intervals without a single frame from the
 * peer) declare the peer dead.
 */
export class HeartbeatMonitor {
  private wrote = false;
  private heard = false;
  private silentTicks = 0;
  private subscription: Subscription | null = null;

  /** Half-interval ticks without a frame from the peer after which it is dead. */
  static readonly DEAD_AFTER_TICKS = 4;

  constructor(
    /** Negotiated heartbeat in seconds (> 0). */
    readonly seconds: number,
    private readonly scheduler: SchedulerLike,
    /** Where heartbeats go (written out at once). */
    private readonly out: FrameOutput,
    /** Called once when the peer is declared dead. */
    private readonly peerDead: (error: HeartbeatTimeoutError) => void,
  ) {}

  /** Starts ticking. */
  start(): void {
    const period = (this.seconds * 1000) / 2;
    // Inside the scheduled function `this` is the scheduler's action.
    const monitor = this;
    this.subscription = this.scheduler.schedule(function () {
      if (monitor.tick()) this.schedule(undefined, period);
    }, period);
  }

  /** Something was written to the peer. */
  noteWrite(): void {
    this.wrote = true;
  }

  /** Something arrived from the peer. */
  noteRead(): void {
    this.heard = true;
  }

  /** Stops ticking. */
  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = null;
  }

  /** One half-interval tick; false once the peer is declared dead. */
  private tick(): boolean {
    if (!this.subscription) return false;
    if (this.heard) this.silentTicks = 0;
    else this.silentTicks++;
    this.heard = false;
    if (this.silentTicks >= HeartbeatMonitor.DEAD_AFTER_TICKS) {
      this.stop();
      this.peerDead(new HeartbeatTimeoutError(this.seconds));
      return false;
    }
    if (!this.wrote) {
      this.out.bytes(HEARTBEAT_FRAME);
      this.out.flush();
    }
    this.wrote = false;
    return true;
  }
}

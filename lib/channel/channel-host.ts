import type { BehaviorSubject, SchedulerLike } from 'rxjs';
import type { MethodTable } from '../protocol/method-table';
import type { Protocol } from '../protocol/protocol-version';
import type { Writer } from '../protocol/writer';
import type { TopologyRegistry } from './topology';

/**
 * Where a channel writes its frames: the connection's output buffer. Frames are appended with
 * the {@link Writer} methods; `commit()` after a complete set of frames schedules the flush.
 */
export interface FrameOutput extends Writer {
  /** Call after appending frames: schedules (or forces) a flush. */
  commit(): void;
  /** Hands everything written so far to the transport now. */
  flush(): void;
}

/**
 * What a channel needs from its connection. The channel layer owns this interface and the
 * connection implements it, so the channel layer never imports the connection layer.
 */
export interface ChannelHost {
  readonly protocol: Protocol;
  readonly table: MethodTable;
  readonly out: FrameOutput;
  /** Largest frame this client sends (body frames are split to fit). */
  readonly sendFrameMax: number;
  /** Largest body accepted from the server. */
  readonly maxBodySize: number;
  /** Emits true while the server has blocked publishing (connection.blocked). */
  readonly blocked$: BehaviorSubject<boolean>;
  /** False while the socket's write buffer is full. */
  readonly writable$: BehaviorSubject<boolean>;
  /** What the application deleted (recovery must not bring it back). */
  readonly topology: TopologyRegistry;
  /** Where the connection goes (for diagnostics). */
  readonly endpoint: { readonly hostname: string; readonly port: number; readonly tls: boolean };
  /** True once the connection began to close (or is closed): its channels are closing too. */
  readonly isClosing: boolean;
  /** Runs every timer of the channel (the close timeout). */
  readonly scheduler: SchedulerLike;
  /** ms a graceful close may take: the connection's `closeTimeout`, which channels inherit. */
  readonly closeTimeout: number;
  /** The channel is finished; its number may be reused. */
  release(id: number): void;
  /**
   * The channel is finished for the client, but the server has not confirmed its
   * channel.close: its number must not be reused until a late close-ok (or the server's own
   * channel.close) arrives for it, or the connection ends. Frames for it are dropped meanwhile.
   */
  quarantine(id: number): void;
}

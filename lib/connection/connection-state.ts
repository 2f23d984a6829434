/** Connection lifecycle. */
export type ConnectionState = 'connecting' | 'handshake' | 'open' | 'closing' | 'closed';

/** How a connection tells its owner about its life. */
export interface ConnectionEvents {
  /** open-ok arrived. */
  opened(): void;
  /** The connection is finished: `error` unless it was closed by the client. Called once. */
  ended(error: Error | undefined): void;
  /**
   * Asked once, before anything learns of the loss: will the owner replace this connection?
   * If so the error is marked recoverable (see recovery.ts) before channels are failed with it.
   */
  willRecover?(error: Error): boolean;
}

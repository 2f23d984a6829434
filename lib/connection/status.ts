import type { Connection } from '../facades';

/** Where a broker is. */
export interface EndpointInfo {
  hostname: string;
  port: number;
}

/**
 * The life of a `connect()` subscription, reported to the `status` observer option:
 * connecting → open ⇄ blocked → (disconnected → connecting → open ...) → closed.
 */
export type ConnectionStatus =
  | { state: 'connecting'; endpoint: EndpointInfo; attempt: number }
  | { state: 'open'; endpoint: EndpointInfo; connection: Connection }
  | { state: 'blocked'; endpoint: EndpointInfo; reason: string }
  | { state: 'disconnected'; endpoint: EndpointInfo; error: Error; attempt: number; retryIn: number }
  | { state: 'closed'; error?: Error };

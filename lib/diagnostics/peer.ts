import type { Protocol } from '../protocol/protocol-version';
import type { PeerInfo } from './channels';

/** What a channel host exposes (its `api` is the public Connection). */
interface HostLike {
  readonly protocol: Protocol;
  readonly api: unknown;
}

const peers = new WeakMap<HostLike, PeerInfo>();

/**
 * The broker a channel's connection goes to, built once per connection (only when a
 * diagnostics subscriber asks for it).
 */
export function peerOf(host: HostLike): PeerInfo {
  let peer = peers.get(host);
  if (peer === undefined) {
    const endpoint = (host.api as { endpoint?: { hostname: string; port: number; tls: boolean } } | null)?.endpoint;
    peer = {
      serverAddress: endpoint?.hostname ?? '',
      serverPort: endpoint?.port ?? 0,
      protocol: host.protocol,
      tls: endpoint?.tls ?? false,
    };
    peers.set(host, peer);
  }
  return peer;
}

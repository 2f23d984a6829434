import type { Protocol } from '../protocol/protocol-version';
import type { PeerInfo } from './channels';

/** What a channel host exposes: its dialect and where it goes. */
interface HostLike {
  readonly protocol: Protocol;
  readonly endpoint: { readonly hostname: string; readonly port: number; readonly tls: boolean };
}

const peers = new WeakMap<HostLike, PeerInfo>();

/**
 * The broker a channel's connection goes to, built once per connection (only when a
 * diagnostics subscriber asks for it).
 */
export function peerOf(host: HostLike): PeerInfo {
  let peer = peers.get(host);
  if (peer === undefined) {
    const { hostname, port, tls } = host.endpoint;
    peer = { serverAddress: hostname, serverPort: port, protocol: host.protocol, tls };
    peers.set(host, peer);
  }
  return peer;
}

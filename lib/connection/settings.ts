import type { SchedulerLike } from 'rxjs';
import type { FieldTable } from '../protocol/field-types';
import type { Protocol } from '../protocol/protocol-version';
import type { AuthMechanism, Credentials } from './credentials';
import type { Endpoint, TransportFactory } from './transport';

/**
 * The settings one connection runs with: the resolved options minus what only `connect()` uses
 * (the reconnect policy and the status observer). The connection core and the handshake depend
 * on this, not on `ResolvedOptions`, whose status type names the `Connection` they belong to.
 */
export interface ConnectionSettings {
  endpoints: Endpoint[];
  protocol: Protocol;
  credentials: Credentials;
  vhost: string;
  heartbeat: number | undefined;
  frameMax: number;
  channelMax: number;
  locale: string;
  clientProperties: FieldTable;
  connectionName: string | undefined;
  mechanism: AuthMechanism;
  connectionTimeout: number;
  closeTimeout: number;
  maxBodySize: number;
  transport: TransportFactory;
  scheduler: SchedulerLike;
}

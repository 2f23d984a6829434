/**
 * A throwaway RabbitMQ node for the fault-tolerance specs (not a spec itself).
 *
 * The node runs beside the shared broker on its own ports, name, database, logs and config,
 * so the specs can stop its app, suspend its listeners, raise a memory alarm or close its
 * connections without touching the shared broker. It is started with
 * `rabbitmq-server -detached` and controlled with `rabbitmqctl -n <node>`. Both wrapper
 * scripts switch to the `rabbitmq` user when run as root, so the node and the CLI share
 * that user's Erlang cookie (/var/lib/rabbitmq/.erlang.cookie) and the node's files are
 * given to that user.
 *
 * One node serves the whole jest run: `spec/faults/global-setup.ts` launches it (without
 * waiting: it boots while the first specs run) and publishes its description in the
 * environment; specs call {@link useBrokerNode} to wait for it and to hold it exclusively
 * (a lock directory, so that spec files in parallel workers never break each other's node);
 * `global-teardown.ts` stops it and removes its files. `spec/soak/soak.ts` starts its own.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { alive, freePorts, giveToRabbitmqUser, readOr, run, sleep } from './rabbitmq-process';

/** Environment variable through which the global setup describes the node to the workers. */
export const NODE_ENV_VAR = 'RX_AMQP_FAULT_NODE';

/** Files of the test PKI (PEM), made with openssl for each node. */
export interface NodeCertificates {
  /** The CA that signed the server and client certificates (trusted). */
  ca: string;
  /** A CA that signed nothing the node presents (untrusted). */
  otherCa: string;
  serverCert: string;
  serverKey: string;
  /** A client certificate whose CN is {@link BrokerNodeInfo.clientCn}, signed by `ca`. */
  clientCert: string;
  clientKey: string;
}

/** Everything needed to reach and control a node; JSON-serialisable. */
export interface BrokerNodeInfo {
  /** Erlang node name, `rxtest-<random>@localhost`. */
  name: string;
  /** AMQP port (127.0.0.1). */
  port: number;
  /** AMQPS port (127.0.0.1), 0 when started without TLS. */
  tlsPort: number;
  /** Erlang distribution port. */
  distPort: number;
  /** Root of its database, logs, config and certificates; removed by `stop()`. */
  dir: string;
  /** Present when started with TLS. */
  certs?: NodeCertificates;
  /** Common name of the client certificate (the user EXTERNAL logs in as). */
  clientCn: string;
  /** pid of the process that launched it (stale nodes of dead launchers are reaped). */
  owner: number;
}

/** Options of {@link BrokerNode.launch}. */
export interface LaunchOptions {
  /** Add a TLS listener (verify_peer, no client certificate required) and EXTERNAL login. */
  tls?: boolean;
}

const HOST = 'localhost';
const DIR_PREFIX = 'rxtest-node.';

/** A running (or booting) throwaway node. */
export class BrokerNode {
  /** What this process changed on the node and {@link heal} must put back. */
  private readonly changed = new Set<'app' | 'watermark' | 'listeners'>();

  /** Wraps a description; {@link launch}, {@link start} and {@link fromEnv} are the usual ways in. */
  constructor(readonly info: BrokerNodeInfo) {}

  /** The node described by the global setup, if there is one. */
  static fromEnv(): BrokerNode | undefined {
    const raw = process.env[NODE_ENV_VAR];
    return raw ? new BrokerNode(JSON.parse(raw) as BrokerNodeInfo) : undefined;
  }

  /**
   * Writes the config (and certificates) and starts the node detached; does not wait for it
   * to boot (see {@link ready}). Throws when `rabbitmq-server` cannot be run.
   */
  static async launch(options: LaunchOptions = {}): Promise<BrokerNode> {
    await reapStaleNodes();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX));
    try {
      return await BrokerNode.launchIn(dir, options);
    } catch (e) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  private static async launchIn(dir: string, options: LaunchOptions): Promise<BrokerNode> {
    fs.chmodSync(dir, 0o755);
    const [port, tlsPort, distPort] = await freePorts(3);
    const name = `rxtest-${randomBytes(4).toString('hex')}@${HOST}`;
    const clientCn = `rxtest-client-${randomBytes(3).toString('hex')}`;
    const certs = options.tls ? makeCertificates(path.join(dir, 'certs'), clientCn) : undefined;
    const info: BrokerNodeInfo = {
      name,
      port,
      tlsPort: options.tls ? tlsPort : 0,
      distPort,
      dir,
      certs,
      clientCn,
      owner: process.pid,
    };

    const conf = [
      `listeners.tcp.default = 127.0.0.1:${port}`,
      'loopback_users = none',
      'log.console = false',
      'log.file.level = info',
    ];
    if (certs) {
      conf.push(
        `listeners.ssl.default = 127.0.0.1:${tlsPort}`,
        `ssl_options.cacertfile = ${certs.ca}`,
        `ssl_options.certfile = ${certs.serverCert}`,
        `ssl_options.keyfile = ${certs.serverKey}`,
        'ssl_options.verify = verify_peer',
        'ssl_options.fail_if_no_peer_cert = false',
        'auth_mechanisms.1 = PLAIN',
        'auth_mechanisms.2 = AMQPLAIN',
        'auth_mechanisms.3 = EXTERNAL',
        'ssl_cert_login_from = common_name',
      );
    }
    fs.mkdirSync(path.join(dir, 'mnesia'));
    fs.mkdirSync(path.join(dir, 'log'));
    fs.writeFileSync(path.join(dir, 'rabbitmq.conf'), `${conf.join('\n')}\n`);
    fs.writeFileSync(path.join(dir, 'enabled_plugins'), certs ? '[rabbitmq_auth_mechanism_ssl].\n' : '[].\n');
    fs.writeFileSync(path.join(dir, 'node.json'), JSON.stringify(info));
    giveToRabbitmqUser(dir);

    const env = {
      ...process.env,
      RABBITMQ_NODENAME: name,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: path.join(dir, 'log'),
      RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq.conf'),
      RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
    };
    await run('rabbitmq-server', ['-detached'], 30000, env);
    return new BrokerNode(info);
  }

  /** Launches a node and waits until it accepts connections. */
  static async start(options: LaunchOptions = {}): Promise<BrokerNode> {
    const node = await BrokerNode.launch(options);
    try {
      await node.ready();
    } catch (e) {
      await node.stop();
      throw e;
    }
    return node;
  }

  get name(): string {
    return this.info.name;
  }

  get port(): number {
    return this.info.port;
  }

  /** `amqp://guest:guest@127.0.0.1:<port>` */
  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.info.port}`;
  }

  /** Waits until the node has booted (polls `rabbitmqctl await_startup`, which fails until the node registered). */
  async ready(timeout = 90000): Promise<void> {
    const deadline = Date.now() + timeout;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        await this.ctl('await_startup', '--timeout', '30');
        return;
      } catch (e) {
        last = e;
        await sleep(250);
      }
    }
    throw new Error(
      `node ${this.name} did not start within ${timeout} ms: ${(last as Error)?.message}\n${this.logTail()}`,
    );
  }

  /** Runs `rabbitmqctl -q -n <node> ...args`; resolves with stdout. */
  ctl(...args: string[]): Promise<string> {
    return run('rabbitmqctl', ['-q', '-n', this.name, ...args], 60000);
  }

  /** `stop_app`: the broker closes every connection (320) and stops listening; the VM stays up. */
  stopApp(): Promise<string> {
    this.changed.add('app');
    return this.ctl('stop_app');
  }

  /** `start_app`; resolves once the app runs again. */
  async startApp(): Promise<void> {
    await this.ctl('start_app');
    await this.ctl('await_startup', '--timeout', '60');
  }

  /** `set_vm_memory_high_watermark <fraction>`: 0 raises the memory alarm at once. */
  setMemoryWatermark(fraction: number): Promise<string> {
    this.changed.add('watermark');
    return this.ctl('set_vm_memory_high_watermark', String(fraction));
  }

  /** `suspend_listeners`: new connections are refused; open ones live on. */
  suspendListeners(): Promise<string> {
    this.changed.add('listeners');
    return this.ctl('suspend_listeners');
  }

  /** `resume_listeners`. */
  resumeListeners(): Promise<string> {
    return this.ctl('resume_listeners');
  }

  /** Broker pids of the connections whose `connection_name` client property is `connectionName`. */
  async connectionPids(connectionName: string): Promise<string[]> {
    const out = await this.ctl('list_connections', '--no-table-headers', 'pid', 'client_properties');
    return out
      .split('\n')
      .filter((line) => line.includes(`{"connection_name","${connectionName}"}`))
      .map((line) => line.split('\t')[0].trim());
  }

  /** `close_connection` for each connection named `connectionName`; resolves with how many were closed. */
  async closeConnections(connectionName: string, reason = 'closed by the fault specs'): Promise<number> {
    const pids = await this.connectionPids(connectionName);
    for (const pid of pids) await this.ctl('close_connection', pid, reason);
    return pids.length;
  }

  /** Messages ready in a queue of the default vhost (undefined: no such queue). */
  async queueDepth(queue: string): Promise<number | undefined> {
    const out = await this.ctl('list_queues', '--no-table-headers', 'name', 'messages');
    for (const line of out.split('\n')) {
      const [name, count] = line.split('\t');
      if (name === queue) return Number(count);
    }
    return undefined;
  }

  /**
   * Holds the node exclusively until the returned release function is called: spec files
   * that break the node must not overlap. Waits for a holder in another worker; steals the
   * lock of a holder that died. Release puts the node back in shape (app running, no alarm,
   * listeners on).
   */
  async acquire(timeout = 600000): Promise<() => Promise<void>> {
    const lock = path.join(this.info.dir, 'lock');
    const deadline = Date.now() + timeout;
    for (;;) {
      try {
        fs.mkdirSync(lock);
        fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const holder = Number(readOr(path.join(lock, 'pid'), '0'));
        if (holder && !alive(holder)) {
          // Its holder died: whatever it did to the node is still there.
          fs.rmSync(lock, { recursive: true, force: true });
          await this.heal(true);
          continue;
        }
        if (Date.now() > deadline)
          throw new Error(`node ${this.name} stayed locked by pid ${holder} for ${timeout} ms`);
        await sleep(200);
      }
    }
    return async () => {
      try {
        await this.heal();
      } finally {
        fs.rmSync(lock, { recursive: true, force: true });
      }
    };
  }

  /**
   * Undoes what the specs do to a node: starts the app, clears the alarm, resumes listeners;
   * only what this process changed, unless `everything`.
   */
  async heal(everything = false): Promise<void> {
    const changed = everything ? new Set(['app', 'watermark', 'listeners']) : this.changed;
    if (changed.has('app')) {
      await this.ctl('start_app');
      await this.ctl('await_startup', '--timeout', '60');
    }
    if (changed.has('watermark')) await this.ctl('set_vm_memory_high_watermark', '0.4');
    if (changed.has('listeners')) await this.resumeListeners();
    this.changed.clear();
  }

  /**
   * Stops the node and removes its files: `rabbitmqctl stop` (which waits for the VM to
   * exit); a node that cannot be reached (still booting, or wedged) is terminated through
   * the pid in its pid file.
   */
  async stop(): Promise<void> {
    let stopped = false;
    try {
      // Not `stop <pidfile>`: it waits for the OS process to go, and a detached node that
      // nobody reaps stays a zombie.
      await this.ctl('stop');
      stopped = true;
    } catch {
      // unreachable (still booting, or wedged): terminated below
    }
    await this.terminate(!stopped);
    fs.rmSync(this.info.dir, { recursive: true, force: true });
  }

  private get pidFile(): string {
    return path.join(this.info.dir, 'mnesia', `${this.name}.pid`);
  }

  /** SIGTERM (then SIGKILL) to the node's own VM, by the pid it wrote. */
  private async terminate(waitForPidFile: boolean): Promise<void> {
    let pid = Number(readOr(this.pidFile, '0').trim());
    // A node launched a moment ago may not have written its pid yet.
    for (let i = 0; i < 50 && !pid && waitForPidFile; i++) {
      pid = Number(readOr(this.pidFile, '0').trim());
      if (!pid) await sleep(100);
    }
    if (!pid || !alive(pid)) return;
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }

  /** The end of the node's log, for error messages. */
  logTail(lines = 30): string {
    const file = path.join(this.info.dir, 'log', `${this.name}.log`);
    return readOr(file, '(no log)').split('\n').slice(-lines).join('\n');
  }
}

/**
 * Waits for the node the global setup launched and holds it for the calling spec file:
 * call at the top of a `describe`; the node is released (and healed) in `afterAll`.
 */
export function useBrokerNode(): { readonly node: BrokerNode } {
  const holder = {} as { node: BrokerNode };
  let release: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const node = BrokerNode.fromEnv();
    if (!node)
      throw new Error(
        `no throwaway RabbitMQ node: ${NODE_ENV_VAR} is not set (jest.config.js runs spec/faults/global-setup.ts, which needs rabbitmq-server)`,
      );
    await node.ready();
    release = await node.acquire();
    holder.node = node;
  }, 600000);
  afterAll(async () => {
    await release?.();
  }, 120000);
  return holder;
}

// ---- helpers -----------------------------------------------------------------------------

/** Stops nodes left behind by test runs that were killed (their launcher is gone). */
async function reapStaleNodes(): Promise<void> {
  for (const entry of fs.readdirSync(os.tmpdir())) {
    if (!entry.startsWith(DIR_PREFIX)) continue;
    const dir = path.join(os.tmpdir(), entry);
    let info: BrokerNodeInfo;
    try {
      info = JSON.parse(fs.readFileSync(path.join(dir, 'node.json'), 'utf8')) as BrokerNodeInfo;
    } catch {
      continue;
    }
    if (alive(info.owner)) continue;
    await new BrokerNode(info).stop();
  }
}

/** A test PKI: a CA, a server certificate for `localhost`, a client certificate, an unrelated CA. */
function makeCertificates(dir: string, clientCn: string): NodeCertificates {
  fs.mkdirSync(dir, { recursive: true });
  const f = (name: string) => path.join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ecKey = (file: string) =>
    ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', file);
  const selfSignedCa = (key: string, cert: string, cn: string) => {
    ecKey(key);
    ssl(
      'req',
      '-x509',
      '-new',
      '-key',
      key,
      '-sha256',
      '-days',
      '3',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      cert,
    );
  };
  const signed = (name: string, cn: string, ext: string) => {
    ecKey(f(`${name}.key`));
    ssl('req', '-new', '-key', f(`${name}.key`), '-subj', `/CN=${cn}`, '-out', f(`${name}.csr`));
    fs.writeFileSync(f(`${name}.ext`), ext);
    ssl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '3',
      '-sha256',
      '-extfile',
      f(`${name}.ext`),
      '-out',
      f(`${name}.pem`),
    );
  };
  selfSignedCa(f('ca.key'), f('ca.pem'), 'rx-amqp test CA');
  selfSignedCa(f('other-ca.key'), f('other-ca.pem'), 'rx-amqp untrusted CA');
  signed(
    'server',
    'localhost',
    'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n',
  );
  signed('client', clientCn, 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
  return {
    ca: f('ca.pem'),
    otherCa: f('other-ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
  };
}

/**
 * A throwaway three-node RabbitMQ cluster on this machine, for the cluster specs
 * (spec/cluster). Not a spec itself.
 *
 * Each node runs beside the shared broker with its own Erlang node name
 * (`rxcluster-<id>-<a|b|c>@localhost`), AMQP port, distribution port, database, logs and
 * config (`listeners.tcp.default = 127.0.0.1:PORT`, `loopback_users = none`), all under one
 * temporary directory. The nodes are launched with `rabbitmq-server -detached` at the same
 * time; once they have booted, the second and third do `stop_app`, `reset`,
 * `join_cluster <first>` and `start_app`. Like spec/support/broker-node.ts, the wrapper
 * scripts switch to the `rabbitmq` user when run as root, so the nodes and the CLI share that
 * user's Erlang cookie, and the files are handed to that user.
 *
 * {@link Cluster.start} does all of it (about 30 s on two cores); {@link Cluster.stop} stops
 * every node and removes the directory. Clusters left behind by a killed run (their launcher
 * pid is gone) are stopped and removed by the next {@link Cluster.start}.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { alive, freePorts, giveToRabbitmqUser, readOr, run, sleep } from './rabbitmq-process';

const HOST = 'localhost';
const DIR_PREFIX = 'rxtest-cluster.';

/** One node of the cluster; JSON-serialisable. */
export interface ClusterNodeInfo {
  /** Erlang node name, `rxcluster-<id>-a@localhost`. */
  name: string;
  /** AMQP port on 127.0.0.1. */
  port: number;
  /** Erlang distribution port. */
  distPort: number;
  /** The node's own directory (database, logs, config). */
  dir: string;
}

/** The whole cluster; JSON-serialisable (written to `cluster.json` in its directory). */
export interface ClusterInfo {
  dir: string;
  nodes: ClusterNodeInfo[];
  /** pid of the process that launched it (stale clusters of dead launchers are reaped). */
  owner: number;
}

/** A node of a running cluster, controlled with `rabbitmqctl -n <name>`. */
export class ClusterNode {
  constructor(readonly info: ClusterNodeInfo) {}

  get name(): string {
    return this.info.name;
  }

  get port(): number {
    return this.info.port;
  }

  /** `127.0.0.1:<port>`, as `connect({ hosts })` takes it. */
  get host(): string {
    return `127.0.0.1:${this.info.port}`;
  }

  /** `amqp://guest:guest@127.0.0.1:<port>` */
  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.info.port}`;
  }

  /** Runs `rabbitmqctl -q -n <node> ...args`; resolves with stdout. */
  ctl(...args: string[]): Promise<string> {
    return run('rabbitmqctl', ['-q', '-n', this.name, ...args], 120000);
  }

  /** Waits until the node's app runs (polls `await_startup`, which fails until the VM registered). */
  async ready(timeout = 120000): Promise<void> {
    const deadline = Date.now() + timeout;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        await this.ctl('await_startup', '--timeout', '60');
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

  /** `stop_app`: the node closes its client connections (320) and leaves the running cluster; its VM stays up. */
  stopApp(): Promise<string> {
    return this.ctl('stop_app');
  }

  /** `start_app`, resolving once the app runs again (it rejoins the cluster). */
  async startApp(): Promise<void> {
    await this.ctl('start_app');
    await this.ctl('await_startup', '--timeout', '60');
  }

  /** Whether the node answers and its app is running. */
  async isRunning(): Promise<boolean> {
    try {
      await this.ctl('await_startup', '--timeout', '1');
      return true;
    } catch {
      return false;
    }
  }

  /** The end of the node's log, for error messages. */
  logTail(lines = 30): string {
    const file = path.join(this.info.dir, 'log', `${this.name}.log`);
    return readOr(file, '(no log)').split('\n').slice(-lines).join('\n');
  }

  /** pid of the node's VM, from its pid file (0 if unknown). */
  get pid(): number {
    return Number(readOr(path.join(this.info.dir, 'mnesia', `${this.name}.pid`), '0').trim()) || 0;
  }
}

/** A running three-node cluster. */
export class Cluster {
  readonly nodes: ClusterNode[];

  constructor(readonly info: ClusterInfo) {
    this.nodes = info.nodes.map((n) => new ClusterNode(n));
  }

  /** `127.0.0.1:<port>` of every node, in order: what `connect({ hosts })` takes. */
  get hosts(): string[] {
    return this.nodes.map((n) => n.host);
  }

  /** The node listening on `port`. */
  nodeAt(port: number): ClusterNode {
    const node = this.nodes.find((n) => n.port === port);
    if (!node) throw new Error(`no cluster node listens on port ${port}`);
    return node;
  }

  /**
   * Launches `size` nodes, waits for them, joins the others to the first and checks that
   * every node sees all of them running. Throws (after removing everything) if that fails.
   */
  static async start(size = 3): Promise<Cluster> {
    if (!which('rabbitmq-server') || !which('rabbitmqctl')) {
      throw new Error('the cluster specs need rabbitmq-server and rabbitmqctl on the PATH');
    }
    await reapStaleClusters();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX));
    fs.chmodSync(dir, 0o755);
    const id = randomBytes(3).toString('hex');
    const ports = await freePorts(size * 2);
    const letters = 'abcdefgh';
    const nodes: ClusterNodeInfo[] = Array.from({ length: size }, (_, i) => ({
      name: `rxcluster-${id}-${letters[i]}@${HOST}`,
      port: ports[2 * i],
      distPort: ports[2 * i + 1],
      dir: path.join(dir, letters[i]),
    }));
    const info: ClusterInfo = { dir, nodes, owner: process.pid };
    fs.writeFileSync(path.join(dir, 'cluster.json'), JSON.stringify(info));
    const cluster = new Cluster(info);
    try {
      for (const node of nodes) writeNodeFiles(node);
      giveToRabbitmqUser(dir);
      await Promise.all(nodes.map((node) => run('rabbitmq-server', ['-detached'], 60000, nodeEnv(node))));
      await Promise.all(cluster.nodes.map((n) => n.ready()));
      const [first, ...others] = cluster.nodes;
      for (const node of others) {
        await node.ctl('stop_app');
        await node.ctl('reset');
        await node.ctl('join_cluster', first.name);
        await node.startApp();
      }
      await cluster.awaitAllRunning();
    } catch (e) {
      await cluster.stop();
      throw e;
    }
    return cluster;
  }

  /** Resolves once `cluster_status` on the first running node lists every node as running. */
  async awaitAllRunning(timeout = 60000): Promise<void> {
    const deadline = Date.now() + timeout;
    let last = '';
    while (Date.now() < deadline) {
      for (const node of this.nodes) {
        try {
          const out = await node.ctl('cluster_status', '--formatter', 'json');
          const status = JSON.parse(out) as { running_nodes?: string[] };
          const running = status.running_nodes ?? [];
          if (this.nodes.every((n) => running.includes(n.name))) return;
          last = `running: ${running.join(', ')}`;
          break;
        } catch (e) {
          last = (e as Error).message;
        }
      }
      await sleep(500);
    }
    throw new Error(`the cluster did not have all ${this.nodes.length} nodes running within ${timeout} ms (${last})`);
  }

  /** Stops every node (their VMs) and removes the cluster's files. Never throws. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => stopNode(n)));
    fs.rmSync(this.info.dir, { recursive: true, force: true });
  }
}

// ---- helpers -----------------------------------------------------------------------------

function writeNodeFiles(node: ClusterNodeInfo): void {
  fs.mkdirSync(path.join(node.dir, 'mnesia'), { recursive: true });
  fs.mkdirSync(path.join(node.dir, 'log'), { recursive: true });
  const conf = [
    `listeners.tcp.default = 127.0.0.1:${node.port}`,
    'loopback_users = none',
    'log.console = false',
    'log.file.level = info',
    // A stopped node is noticed by the others at once (its app goes, the VM stays); this only
    // bounds how long a node that vanished outright would be waited for.
    'net_ticktime = 10',
    // Partitions do not happen on one machine; a node that was stopped simply rejoins.
    'cluster_partition_handling = ignore',
  ];
  fs.writeFileSync(path.join(node.dir, 'rabbitmq.conf'), `${conf.join('\n')}\n`);
  fs.writeFileSync(path.join(node.dir, 'enabled_plugins'), '[].\n');
}

function nodeEnv(node: ClusterNodeInfo): NodeJS.ProcessEnv {
  return {
    ...process.env,
    RABBITMQ_NODENAME: node.name,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(node.port),
    RABBITMQ_DIST_PORT: String(node.distPort),
    RABBITMQ_MNESIA_BASE: path.join(node.dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(node.dir, 'log'),
    RABBITMQ_CONFIG_FILE: path.join(node.dir, 'rabbitmq.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(node.dir, 'enabled_plugins'),
  };
}

/** `rabbitmqctl stop` (waits for the VM to exit); an unreachable node is terminated by its pid. */
async function stopNode(node: ClusterNode): Promise<void> {
  try {
    await run('rabbitmqctl', ['-q', '-n', node.name, 'stop'], 60000);
  } catch {
    // unreachable (still booting, or wedged): terminated below
  }
  const pid = node.pid;
  if (!pid || !alive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
  if (alive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** Stops clusters left behind by runs that were killed (their launcher is gone). */
async function reapStaleClusters(): Promise<void> {
  for (const entry of fs.readdirSync(os.tmpdir())) {
    if (!entry.startsWith(DIR_PREFIX)) continue;
    const dir = path.join(os.tmpdir(), entry);
    let info: ClusterInfo;
    try {
      info = JSON.parse(fs.readFileSync(path.join(dir, 'cluster.json'), 'utf8')) as ClusterInfo;
    } catch {
      continue;
    }
    if (alive(info.owner)) continue;
    await new Cluster(info).stop();
  }
}

function which(cmd: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => {
    try {
      fs.accessSync(path.join(d, cmd), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

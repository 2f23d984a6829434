/**
 * Process and file helpers shared by the throwaway RabbitMQ nodes of the specs
 * (broker-node.ts: one node; cluster.ts: three). Not a spec itself.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

/**
 * Runs a command in its own process group, so that a timeout kills all of it (the wrapper
 * scripts run the real tool under `su`, as a grandchild).
 */
export function run(cmd: string, args: string[], timeout: number, env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeout);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} could not be run: ${e.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(stdout);
      const why = timedOut ? `timed out after ${timeout} ms` : signal ? `killed by ${signal}` : `exit code ${code}`;
      reject(new Error(`${cmd} ${args.join(' ')} failed (${why})\n${stdout}${stderr}`.trim()));
    });
  });
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A file's text, or `fallback` when it cannot be read. */
export function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/** Whether a process runs (a zombie, exited but not reaped, does not). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = readOr(`/proc/${pid}/stat`, '');
  return !/^\d+ \(.*\) Z/.test(stat);
}

/** When running as root, hands the files of a node (or cluster) to the `rabbitmq` user the nodes run as. */
export function giveToRabbitmqUser(dir: string): void {
  if (process.getuid?.() !== 0) return;
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync('id', ['-u', 'rabbitmq']).toString().trim());
    gid = Number(execFileSync('id', ['-g', 'rabbitmq']).toString().trim());
  } catch {
    return; // no such user: the nodes run as root
  }
  const walk = (p: string) => {
    fs.chownSync(p, uid, gid);
    if (fs.statSync(p).isDirectory()) for (const f of fs.readdirSync(p)) walk(path.join(p, f));
  };
  walk(dir);
}

/**
 * `n` ports free on 127.0.0.1, from 40000-49999: the CLI tools of a node use distribution
 * port + 10000, which must stay below 65536, and the shared broker's ports are far below.
 */
export async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  for (let tries = 0; ports.length < n && tries < 500; tries++) {
    const p = 40000 + Math.floor(Math.random() * 10000);
    if (!ports.includes(p) && (await portFree(p))) ports.push(p);
  }
  if (ports.length < n) throw new Error('no free ports in 40000-49999');
  return ports;
}

/** Whether 127.0.0.1:`port` can be listened on. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

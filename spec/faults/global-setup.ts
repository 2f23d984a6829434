/**
 * jest globalSetup: launches the one throwaway RabbitMQ node the fault specs share (see
 * spec/support/broker-node.ts) and describes it to the test workers through the
 * environment. It does not wait for the node to boot: the specs that use it wait. Runs
 * limited to paths that select no fault spec launch nothing. Without rabbitmq-server this
 * only warns; the specs that need the node then fail saying so.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BrokerNode, NODE_ENV_VAR } from '../support/broker-node';

interface GlobalConfigLike {
  testPathPatterns?: { patterns?: string[] } | string[];
}

export default async function globalSetup(globalConfig: GlobalConfigLike = {}): Promise<void> {
  if (process.env[NODE_ENV_VAR] || !selectsFaultSpecs(globalConfig)) return;
  try {
    const node = await BrokerNode.launch({ tls: true });
    process.env[NODE_ENV_VAR] = JSON.stringify(node.info);
  } catch (e) {
    console.warn(`[fault specs] could not launch a throwaway RabbitMQ node: ${(e as Error).message}`);
  }
}

/** Whether the run's path patterns (if any) select a spec of this directory. */
function selectsFaultSpecs(globalConfig: GlobalConfigLike): boolean {
  const p = globalConfig.testPathPatterns;
  const patterns = Array.isArray(p) ? p : (p?.patterns ?? []);
  if (patterns.length === 0) return true;
  const specs = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.spec.ts'))
    .map((f) => path.join(__dirname, f));
  return specs.some((spec) =>
    patterns.some((pattern) => {
      try {
        return new RegExp(pattern, 'i').test(spec);
      } catch {
        return true;
      }
    }),
  );
}

/** jest globalTeardown: stops the throwaway RabbitMQ node of the fault specs and removes its files. */
import { BrokerNode } from '../support/broker-node';

export default async function globalTeardown(): Promise<void> {
  const node = BrokerNode.fromEnv();
  if (node && node.info.owner === process.pid) await node.stop();
}

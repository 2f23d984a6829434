/**
 * Topology recovery after the broker closes the connection (throwaway node): a server-named
 * queue gets a new name and its binding and consumer follow it; what the application deleted
 * in the meantime is not declared again.
 */
import { lastValueFrom, Subject, take, tap, toArray, type Subscription } from 'rxjs';
import {
  bindQueue,
  connect,
  consume,
  declareExchange,
  declareQueue,
  open,
  openChannel,
  type Connection,
} from 'rx-amqp';
import { useBrokerNode } from '../support/broker-node';
import { eventually, once, statusLog, uniqueName } from './helpers';

describe('topology recovery (throwaway node)', () => {
  const held = useBrokerNode();

  it('a server-named queue is declared anew, its binding and consumer follow it; a deleted queue stays deleted', async () => {
    const { node } = held;
    const exchange = uniqueName('fanout');
    const kept = uniqueName('kept');
    const dropped = uniqueName('dropped');
    const name = uniqueName('topology');
    const log = statusLog();
    const queues: string[] = [];
    const received = new Subject<string>();
    const connections: Connection[] = [];
    const admin = await open({ url: node.url });
    let pipeline: Subscription | undefined;
    try {
      const adminChannel = await admin.openChannel();
      await once(adminChannel.confirmSelect());
      pipeline = connect({
        url: node.url,
        connectionName: name,
        reconnect: { initialDelay: 50, jitter: 0 },
        status: log.observer,
      })
        .pipe(
          tap((c) => connections.push(c)),
          openChannel(),
          declareExchange(exchange, 'fanout'),
          declareQueue(kept, { durable: true }),
          declareQueue(dropped, { durable: true }),
          bindQueue(dropped, exchange),
        )
        .pipe(
          declareQueue('', { exclusive: true }),
          bindQueue('', exchange),
          tap((channel) => queues.push(channel.lastQueue)),
          consume('', { noAck: true }),
        )
        .subscribe({ next: (d) => received.next(d.text) });
      await eventually(() => queues.length === 1, 'the pipeline is consuming');
      const first = lastValueFrom(received.pipe(take(1), toArray()));
      await once(adminChannel.publish('before', exchange, ''));
      expect(await first).toEqual(['before']);

      // The application deletes one of the queues the pipeline declared, on its own connection.
      const appChannel = await connections[0].openChannel();
      await once(appChannel.queueDelete(dropped));

      expect(await node.closeConnections(name)).toBe(1);
      await eventually(() => queues.length === 2, 'the pipeline consumes again on a new connection');
      expect(queues[1]).not.toBe(queues[0]);
      expect(queues[1]).toMatch(/^amq\.gen-/);
      const second = lastValueFrom(received.pipe(take(1), toArray()));
      await once(adminChannel.publish('after', exchange, ''));
      expect(await second).toEqual(['after']);

      const listed = await node.ctl('list_queues', 'name');
      expect(listed).toContain(kept);
      expect(listed).not.toContain(dropped); // not brought back by recovery
      expect(listed).not.toContain(queues[0]); // the old exclusive queue went with its connection
      expect(log.states().filter((s) => s === 'open')).toHaveLength(2);
    } finally {
      pipeline?.unsubscribe();
      const cleanup = await admin.openChannel();
      await once(cleanup.queueDelete(kept));
      await once(cleanup.exchangeDelete(exchange));
      await admin.close();
    }
  });
});

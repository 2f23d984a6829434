/**
 * rx-amqp on a three-node RabbitMQ cluster (spec/support/cluster.ts starts it for this file
 * and removes it afterwards; the shared broker is not touched):
 *
 * - a stream replicated on the three nodes replays exactly, in order, from `first`, from an
 *   offset and from a Date;
 * - 50k persistent messages published with confirms to a quorum queue while the node the
 *   publisher is connected to is stopped and restarted: the pipeline moves to another node by
 *   itself and every confirmed message is consumed afterwards;
 * - a consumer pipeline on a quorum queue loses its node and resumes on another one;
 * - a stream consumer loses its node and resumes on another replica where it left off.
 *
 * The failover times are measured and printed (and written to .tmp/cluster-failover.json),
 * never asserted: they depend on the machine.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  firstValueFrom,
  interval,
  lastValueFrom,
  map,
  range,
  shareReplay,
  take,
  takeWhile,
  tap,
  timeout,
  toArray,
} from 'rxjs';
import {
  ackAfter,
  ackEach,
  connect,
  consume,
  declareQueue,
  Message,
  open,
  openChannel,
  publishTo,
  type ConnectionStatus,
  type ConsumeOptions,
  type PublishToResult,
} from 'rx-amqp';
import { Cluster, type ClusterNode } from '../support/cluster';

const PUBLISHED = 50_000;
const STREAM_SIZE = 10_000;
const FIGURES_FILE = path.join(__dirname, '..', '..', '.tmp', 'cluster-failover.json');

let cluster: Cluster;
const figures: Record<string, Record<string, number | string>> = {};

beforeAll(async () => {
  cluster = await Cluster.start(3);
}, 240_000);

afterAll(async () => {
  await cluster?.stop();
  if (Object.keys(figures).length) {
    fs.mkdirSync(path.dirname(FIGURES_FILE), { recursive: true });
    fs.writeFileSync(
      FIGURES_FILE,
      `${JSON.stringify({ measuredAt: new Date().toISOString(), ...figures }, null, 2)}\n`,
    );
  }
}, 120_000);

describe('on a three-node RabbitMQ cluster', () => {
  it('replays a replicated stream of 10k messages exactly, in order, from first, from an offset and from a Date', async () => {
    const [a, b] = cluster.nodes;
    const stream = unique('stream');
    const publisher = await open({ url: a.url });
    try {
      const channel = await publisher.openChannel();
      await firstValueFrom(
        channel.queueDeclare(stream, { durable: true, type: 'stream', initialClusterSize: 3, maxAge: '1h' }),
      );
      expect(await members(a, stream)).toHaveLength(3);

      const half = STREAM_SIZE / 2;
      const publish = (from: number, count: number) =>
        lastValueFrom(
          range(from, count).pipe(
            publishTo(channel, '', stream, { confirm: true, window: 500, toMessage: (i) => new Message(`m${i}`) }),
            toArray(),
          ),
        );
      const first = await publish(0, half);
      // Stream timestamps are compared in whole seconds (AMQP timestamps): leave more than a
      // second on both sides of the Date so that it falls cleanly between the two halves.
      await sleep(1100);
      const between = new Date();
      await sleep(1100);
      const second = await publish(half, half);
      expect([...first, ...second].filter((r) => r.status !== 'confirmed')).toEqual([]);

      // Read from another node than the one published to: from its replica.
      const reader = await open({ url: b.url });
      try {
        const read = async (offset: ConsumeOptions['offset'], n: number) => {
          const ch = await reader.openChannel();
          await firstValueFrom(ch.basicQos(1000)); // stream consumers need a prefetch
          const got = await lastValueFrom(
            ch.basicConsume(stream, { offset }).pipe(
              ackEach(),
              take(n),
              map((d) => `${d.text}@${String(d.streamOffset)}`),
              toArray(),
            ),
          );
          await ch.close();
          return got;
        };
        const expected = (from: number) =>
          Array.from({ length: STREAM_SIZE - from }, (_, k) => `m${from + k}@${from + k}`);
        expect(await read('first', STREAM_SIZE)).toEqual(expected(0));
        expect(await read(7_500, 2_500)).toEqual(expected(7_500));
        expect(await read(between, half)).toEqual(expected(half));
      } finally {
        await reader.close();
      }
    } finally {
      await publisher.close();
    }
  }, 120_000);

  it('publishes 50k persistent messages with confirms to a quorum queue through the stop and restart of its node, losing nothing confirmed', async () => {
    const queue = unique('quorum-publish');
    const log = statusLog();
    const channelAt: number[] = [];
    const channel$ = connect({
      hosts: cluster.hosts,
      reconnect: { initialDelay: 100, maxDelay: 2000 },
      connectionTimeout: 5000,
      connectionName: queue,
      status: log.observer,
    }).pipe(
      openChannel({ confirm: true }),
      declareQueue(queue, { durable: true, type: 'quorum', initialClusterSize: 3 }),
      tap(() => channelAt.push(performance.now())),
      shareReplay({ bufferSize: 1, refCount: true }),
    );

    const confirmed = new Set<number>();
    let stopped: ClusterNode | undefined;
    let outage: Promise<void> | undefined;
    let publishingDone = false;
    const t = { stop: 0, stopAppReturned: 0, firstConfirmAfter: 0, restartBegan: 0, restarted: 0 };
    const started = performance.now();
    const results: Array<PublishToResult<number>> = await lastValueFrom(
      range(0, PUBLISHED).pipe(
        publishTo(channel$, '', queue, {
          window: 500,
          toMessage: (i) => new Message(String(i), { deliveryMode: 2, messageId: String(i) }),
        }),
        tap((r) => {
          if (r.status === 'confirmed') confirmed.add(r.value);
          if (t.stop && !t.firstConfirmAfter && channelAt.length > 1 && r.status === 'confirmed')
            t.firstConfirmAfter = performance.now();
          if (!outage && confirmed.size >= PUBLISHED / 5) {
            // Stop the node the publisher is connected to; restart it once publishing goes on elsewhere.
            const node = cluster.nodeAt(currentEndpoint(log).port);
            stopped = node;
            t.stop = performance.now();
            outage = (async () => {
              await node.stopApp();
              t.stopAppReturned = performance.now();
              await eventually(
                () => t.firstConfirmAfter > 0 || publishingDone,
                'publishing resumed on another node',
                60_000,
              );
              t.restartBegan = performance.now();
              await node.startApp();
              t.restarted = performance.now();
            })();
          }
        }),
        toArray(),
      ),
    ).finally(() => (publishingDone = true));
    const publishMs = performance.now() - started;
    await outage;

    // The node the pipeline was on was stopped mid-way, and it moved to another node by itself.
    expect(stopped).toBeDefined();
    const lost = log.entries.find((e) => e.status.state === 'disconnected' && e.at >= t.stop);
    expect(lost).toBeDefined();
    const reopened = log.entries.find((e) => e.status.state === 'open' && e.at > lost!.at);
    expect(reopened).toBeDefined();
    expect(endpointOf(reopened!.status).port).not.toBe(stopped!.port);
    expect(cluster.hosts).toContain(`127.0.0.1:${endpointOf(reopened!.status).port}`);
    expect(channelAt.length).toBeGreaterThanOrEqual(2);

    // One result per input, in order, each one confirmed in the end (some after a republish).
    expect(results).toHaveLength(PUBLISHED);
    expect(results.every((r, i) => r.value === i)).toBe(true);
    expect(results.filter((r) => r.status !== 'confirmed')).toEqual([]);
    const republished = results.filter((r) => r.attempts > 1).length;
    const { members: queueMembers, leader } = await replicas(cluster.nodes[1], queue);
    expect(queueMembers.sort()).toEqual(cluster.nodes.map((n) => n.name).sort());

    // Every confirmed message is in the queue: consume them all (with the restarted node back).
    const missing = new Set(confirmed);
    const strangers: string[] = [];
    let deliveries = 0;
    const consumeStarted = performance.now();
    await lastValueFrom(
      connect({ hosts: cluster.hosts, connectionTimeout: 5000 }).pipe(
        openChannel({ prefetch: 2000 }),
        consume(queue),
        ackEach(),
        tap((d) => {
          deliveries++;
          const id = Number(d.properties.messageId);
          if (!Number.isInteger(id) || id < 0 || id >= PUBLISHED || d.text !== d.properties.messageId)
            strangers.push(d.text);
          missing.delete(id);
        }),
        takeWhile(() => missing.size > 0),
        timeout({
          each: 30_000,
          with: () =>
            Promise.reject(
              new Error(
                `${missing.size} confirmed messages never arrived, e.g. ${[...missing].slice(0, 10).join(', ')}`,
              ),
            ),
        }),
      ),
      { defaultValue: undefined },
    );
    const consumeMs = performance.now() - consumeStarted;
    expect(strangers).toEqual([]);
    expect(missing.size).toBe(0);
    expect(deliveries).toBeGreaterThanOrEqual(PUBLISHED);

    record('quorumPublish', {
      messages: PUBLISHED,
      stoppedNode: stopped!.name,
      leaderAfterwards: leader,
      resumedOn: `127.0.0.1:${endpointOf(reopened!.status).port}`,
      confirmedBeforeStop: PUBLISHED / 5,
      stopToDisconnectMs: lost!.at - t.stop,
      stopAppCommandMs: t.stopAppReturned - t.stop,
      stopToReconnectedMs: reopened!.at - t.stop,
      stopToFirstPublishAgainMs: channelAt[1] - t.stop,
      stopToFirstConfirmAgainMs: t.firstConfirmAfter - t.stop,
      disconnectToFirstConfirmAgainMs: t.firstConfirmAfter - lost!.at,
      restartOfStoppedNodeMs: t.restarted - t.restartBegan,
      restartedWhilePublishing: t.restartBegan < started + publishMs ? 'yes' : 'no',
      republished,
      publishAllMs: publishMs,
      publishRatePerS: Math.round(PUBLISHED / (publishMs / 1000)),
      consumeAllMs: consumeMs,
      deliveries,
    });
    await deleteQueue(queue);
  }, 240_000);

  it('resumes a consumer pipeline on a quorum queue on another node when its node is stopped', async () => {
    const [a, b, c] = cluster.nodes;
    await cluster.awaitAllRunning();
    const queue = unique('quorum-consume');
    // Declared on b, which therefore leads it (RabbitMQ places the leader on the declaring
    // node): stopping b takes away the consumer's node and the queue's leader at once.
    const admin = await open({ url: b.url });
    try {
      const adminChannel = await admin.openChannel();
      await firstValueFrom(adminChannel.queueDeclare(queue, { durable: true, type: 'quorum', initialClusterSize: 3 }));
    } finally {
      await admin.close();
    }
    const placement = await replicas(a, queue);
    expect(placement.members).toHaveLength(3);

    // The consumer starts on b (the first of its hosts); the publisher stays on a.
    const log = statusLog();
    const received = new Map<number, number>(); // id -> when it first arrived
    let pipelineError: unknown;
    const subscription = connect({
      hosts: [b.host, c.host, a.host],
      reconnect: { initialDelay: 100, maxDelay: 2000 },
      connectionTimeout: 5000,
      status: log.observer,
    })
      .pipe(
        openChannel({ prefetch: 50 }),
        declareQueue(queue, { durable: true, type: 'quorum', initialClusterSize: 3 }),
        consume(queue),
        ackAfter((d) => [Number(d.text)]),
      )
      .subscribe({
        next: (id) => received.has(id) || received.set(id, performance.now()),
        error: (e) => (pipelineError = e),
      });

    const publisher = await open({ url: a.url });
    const publishedAt = new Map<number, number>();
    const confirmed = new Set<number>();
    let publishing = true;
    try {
      const channel = await publisher.openChannel();
      await eventually(
        () => log.entries.some((e) => e.status.state === 'open'),
        'the consumer pipeline is connected',
        20_000,
      );
      const before = currentEndpoint(log);
      expect(before.port).toBe(b.port);

      // One persistent message every 10 ms, before, during and after the failover.
      const published = lastValueFrom(
        interval(10).pipe(
          takeWhile(() => publishing),
          tap((i) => publishedAt.set(i, performance.now())),
          publishTo(channel, '', queue, {
            confirm: true,
            window: 100,
            toMessage: (i) => new Message(String(i), { deliveryMode: 2 }),
          }),
          tap((r) => r.status === 'confirmed' && confirmed.add(r.value)),
        ),
        { defaultValue: undefined },
      );

      await eventually(() => received.size >= 100, 'the consumer receives messages before the failover', 20_000);
      const stopAt = performance.now();
      await b.stopApp();
      const stopAppReturned = performance.now();
      await eventually(
        () => log.entries.some((e) => e.at > stopAt && e.status.state === 'open'),
        'the consumer pipeline reconnected to another node',
        60_000,
      );
      const reopened = log.entries.find((e) => e.at > stopAt && e.status.state === 'open')!;
      const after = endpointOf(reopened.status);
      // Messages published after the failover arrive on the new node.
      const firstAfter = Math.max(...publishedAt.keys()) + 1;
      await eventually(
        () => [...received.keys()].filter((id) => id >= firstAfter).length >= 100,
        'messages published after the failover arrive',
        60_000,
      );
      publishing = false;
      await published;
      await eventually(
        () => [...confirmed].every((id) => received.has(id)),
        'every confirmed message has arrived',
        30_000,
      );

      expect(pipelineError).toBeUndefined();
      expect(after.port).not.toBe(b.port);
      expect([c.port, a.port]).toContain(after.port);
      expect(currentEndpoint(log).port).toBe(after.port);
      const lost = log.entries.find((e) => e.at > stopAt && e.status.state === 'disconnected');
      expect(lost).toBeDefined();
      const missing = [...confirmed].filter((id) => !received.has(id));
      expect(missing).toEqual([]);
      const firstDeliveryAfter = Math.min(...[...received.values()].filter((at) => at > reopened.at));

      record('quorumConsume', {
        stoppedNode: b.name,
        leaderBefore: placement.leader,
        leaderAfter: (await replicas(a, queue)).leader,
        consumedOnBefore: `127.0.0.1:${before.port}`,
        consumedOnAfter: `127.0.0.1:${after.port}`,
        stopToDisconnectMs: lost!.at - stopAt,
        stopAppCommandMs: stopAppReturned - stopAt,
        stopToReconnectedMs: reopened.at - stopAt,
        stopToFirstDeliveryAgainMs: firstDeliveryAfter - stopAt,
        disconnectToFirstDeliveryAgainMs: firstDeliveryAfter - lost!.at,
        published: publishedAt.size,
        confirmed: confirmed.size,
        received: received.size,
      });
    } finally {
      publishing = false;
      subscription.unsubscribe();
      await publisher.close();
      await b.startApp();
    }
    await deleteQueue(queue);
  }, 180_000);

  it('resumes a stream consumer on another replica right after the last offset it received when its node is stopped', async () => {
    const [a, b, c] = cluster.nodes;
    await cluster.awaitAllRunning();
    const stream = unique('stream-consume');
    const publisher = await open({ url: a.url });
    const log = statusLog();
    const offsets: number[] = [];
    const receivedAt: number[] = [];
    let pipelineError: unknown;
    let subscription: { unsubscribe(): void } | undefined;
    let publishing = true;
    try {
      const channel = await publisher.openChannel();
      // Led by a; the consumer reads from c's replica, then from b's.
      await firstValueFrom(
        channel.queueDeclare(stream, { durable: true, type: 'stream', initialClusterSize: 3, maxAge: '1h' }),
      );
      const placement = await replicas(a, stream);
      expect(placement.members).toHaveLength(3);
      expect(placement.leader).toBe(a.name);

      let publishedCount = 0;
      const confirmed = new Set<number>();
      const published = lastValueFrom(
        interval(5).pipe(
          takeWhile(() => publishing),
          tap(() => publishedCount++),
          publishTo(channel, '', stream, { confirm: true, window: 100, toMessage: (i) => new Message(String(i)) }),
          tap((r) => r.status === 'confirmed' && confirmed.add(r.value)),
        ),
        { defaultValue: undefined },
      );

      subscription = connect({
        hosts: [c.host, b.host, a.host],
        reconnect: { initialDelay: 100, maxDelay: 2000 },
        connectionTimeout: 5000,
        status: log.observer,
      })
        .pipe(openChannel({ prefetch: 200 }), consume(stream, { offset: 'first' }), ackEach())
        .subscribe({
          next: (d) => {
            offsets.push(Number(d.streamOffset));
            receivedAt.push(performance.now());
            if (d.text !== String(d.streamOffset))
              pipelineError ??= new Error(`offset ${String(d.streamOffset)} carries ${d.text}`);
          },
          error: (e) => (pipelineError = e),
        });

      await eventually(() => offsets.length >= 200, 'the stream consumer reads before the failover', 20_000);
      expect(currentEndpoint(log).port).toBe(c.port);
      const stopAt = performance.now();
      await c.stopApp();
      await eventually(
        () => log.entries.some((e) => e.at > stopAt && e.status.state === 'open'),
        'the stream consumer reconnected',
        60_000,
      );
      const reopened = log.entries.find((e) => e.at > stopAt && e.status.state === 'open')!;
      const publishedAtReopen = publishedCount;
      await eventually(
        () => offsets.length >= publishedAtReopen + 200,
        'messages appended after the failover arrive',
        60_000,
      );
      publishing = false;
      await published;
      await eventually(() => offsets.length >= confirmed.size, 'every confirmed message has arrived', 30_000);
      await sleep(200); // nothing more (no duplicate) may follow

      expect(pipelineError).toBeUndefined();
      expect(endpointOf(reopened.status).port).not.toBe(c.port);
      expect([b.port, a.port]).toContain(endpointOf(reopened.status).port);
      expect(confirmed.size).toBe(publishedCount);
      // Every message once, in order: read again from where it stopped, not from `first`.
      expect(offsets.length).toBe(confirmed.size);
      expect(offsets.every((o, i) => o === i)).toBe(true);

      const lost = log.entries.find((e) => e.at > stopAt && e.status.state === 'disconnected');
      record('streamConsume', {
        stoppedNode: c.name,
        streamLeader: placement.leader,
        consumedOnAfter: `127.0.0.1:${endpointOf(reopened.status).port}`,
        stopToDisconnectMs: (lost?.at ?? NaN) - stopAt,
        stopToReconnectedMs: reopened.at - stopAt,
        stopToFirstDeliveryAgainMs: Math.min(...receivedAt.filter((at) => at > reopened.at)) - stopAt,
        disconnectToFirstDeliveryAgainMs: Math.min(...receivedAt.filter((at) => at > reopened.at)) - (lost?.at ?? NaN),
        messages: offsets.length,
      });
    } finally {
      publishing = false;
      subscription?.unsubscribe();
      await publisher.close();
      await c.startApp();
    }
    await deleteQueue(stream);
  }, 180_000);
});

// ---- helpers -----------------------------------------------------------------------------

function unique(what: string): string {
  return `rxcluster-${what}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it holds; fails after `timeout` ms. */
async function eventually(check: () => boolean, what: string, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting until ${what}`);
    await sleep(20);
  }
}

/** A `status` observer recording every status with the time it arrived (performance.now()). */
function statusLog(): {
  observer: { next(s: ConnectionStatus): void };
  entries: Array<{ at: number; status: ConnectionStatus }>;
} {
  const entries: Array<{ at: number; status: ConnectionStatus }> = [];
  return { observer: { next: (status) => entries.push({ at: performance.now(), status }) }, entries };
}

function endpointOf(status: ConnectionStatus): { hostname: string; port: number } {
  if (status.state === 'closed') throw new Error('a closed status has no endpoint');
  return status.endpoint;
}

/** The endpoint of the last `open` status. */
function currentEndpoint(log: ReturnType<typeof statusLog>): { hostname: string; port: number } {
  const open = [...log.entries].reverse().find((e) => e.status.state === 'open');
  if (!open) throw new Error('never connected');
  return endpointOf(open.status);
}

/** The nodes holding a replica of a quorum queue or stream (`rabbitmqctl list_queues members`). */
async function members(node: ClusterNode, queue: string): Promise<string[]> {
  return (await replicas(node, queue)).members;
}

/** A quorum queue's or stream's replicas and leader, as `rabbitmqctl list_queues` tells them. */
async function replicas(node: ClusterNode, queue: string): Promise<{ members: string[]; leader: string }> {
  const out = await node.ctl('list_queues', 'name', 'members', 'leader', '--formatter', 'json');
  const rows = JSON.parse(out) as Array<{ name: string; members: string[]; leader: string }>;
  const row = rows.find((r) => r.name === queue);
  return { members: row?.members ?? [], leader: row?.leader ?? '' };
}

async function deleteQueue(queue: string): Promise<void> {
  const connection = await open({ url: cluster.nodes[0].url });
  try {
    const channel = await connection.openChannel();
    await firstValueFrom(channel.queueDelete(queue));
  } finally {
    await connection.close();
  }
}

/** Keeps a measured figure for the report (printed, and written to .tmp/cluster-failover.json). */
function record(name: string, values: Record<string, number | string>): void {
  const rounded = Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v) : v]),
  );
  figures[name] = rounded;
  console.log(`[cluster failover] ${name}: ${JSON.stringify(rounded, null, 2)}`);
}

/**
 * The broker's app restarts (`stop_app` / `start_app` on the throwaway node) while 100k
 * persistent messages are being published with confirms: the pipeline recovers by itself
 * (reconnect, new channel, queue re-declared, unconfirmed messages republished) and every
 * message the broker confirmed is in the queue afterwards.
 */
import { lastValueFrom, map, range, shareReplay, take, tap, toArray } from 'rxjs';
import { connect, consume, declareQueue, Message, open, openChannel, publishTo, type PublishToResult } from 'rx-amqp';
import { useBrokerNode } from '../support/broker-node';
import { figure, once, statusLog, uniqueName } from './helpers';

const TOTAL = 100_000;

describe('broker restart while publishing (throwaway node)', () => {
  const held = useBrokerNode();

  it('keeps every confirmed message of 100k persistent ones across stop_app / start_app', async () => {
    const { node } = held;
    const queue = uniqueName('restart');
    let restart: Promise<void> | undefined;
    let restartStartedAt = 0;
    let confirmedBeforeRestart = 0;
    const confirmedIds = new Set<number>();
    const status = statusLog();
    let confirmedAtLoss = -1;
    const record = status.observer.next;
    status.observer.next = (s) => {
      if (s.state === 'disconnected' && confirmedAtLoss < 0) confirmedAtLoss = confirmedIds.size;
      record(s);
    };
    const channel$ = connect({
      url: node.url,
      connectionName: queue,
      reconnect: { initialDelay: 100, maxDelay: 1000 },
      connectionTimeout: 10000,
      status: status.observer,
    }).pipe(
      openChannel({ confirm: true }),
      declareQueue(queue, { durable: true }),
      shareReplay({ bufferSize: 1, refCount: true }),
    );

    const started = performance.now();
    const results: Array<PublishToResult<number>> = await lastValueFrom(
      range(0, TOTAL).pipe(
        publishTo(channel$, '', queue, {
          window: 500,
          toMessage: (i) => new Message(String(i), { deliveryMode: 2, messageId: String(i) }),
        }),
        tap((r) => {
          if (r.status === 'confirmed') confirmedIds.add(r.value);
          if (!restart && confirmedIds.size >= 10_000) {
            confirmedBeforeRestart = confirmedIds.size;
            restartStartedAt = performance.now();
            restart = (async () => {
              await node.stopApp();
              await node.startApp();
            })();
          }
        }),
        toArray(),
      ),
    );
    const publishMs = performance.now() - started;
    await restart;

    // The restart did happen in the middle, and the pipeline came through it on its own.
    expect(restart).toBeDefined();
    expect(confirmedAtLoss).toBeGreaterThanOrEqual(confirmedBeforeRestart);
    expect(confirmedAtLoss).toBeLessThan(TOTAL);
    const states = status.states();
    expect(states).toContain('disconnected');
    expect(states.filter((s) => s === 'open').length).toBeGreaterThanOrEqual(2);
    const lost = status.entries.find((e) => e.status.state === 'disconnected')!;
    const reopened = status.entries.find((e) => e.status.state === 'open' && e.at > lost.at)!;
    expect(reopened).toBeDefined();

    // One result per input, every one confirmed in the end (some after being republished).
    expect(results).toHaveLength(TOTAL);
    expect(results.map((r) => r.value)).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
    expect(results.filter((r) => r.status !== 'confirmed')).toEqual([]);
    const republished = results.filter((r) => r.attempts > 1).length;
    expect(republished).toBeGreaterThan(0);

    // Every confirmed message is in the queue (duplicates allowed: at-least-once).
    const inQueue = await node.queueDepth(queue);
    expect(inQueue).toBeGreaterThanOrEqual(TOTAL);
    const seen = new Uint8Array(TOTAL);
    const drained = await lastValueFrom(
      connect({ url: node.url, connectionTimeout: 10000 }).pipe(
        openChannel({ prefetch: 2000 }),
        consume(queue, { noAck: true }),
        take(inQueue!),
        map((d) => {
          const id = Number(d.properties.messageId);
          seen[id] = 1;
          return d.properties.deliveryMode;
        }),
        toArray(),
      ),
    );
    expect(drained.every((mode) => mode === 2)).toBe(true);
    const missing = [...confirmedIds].filter((id) => !seen[id]);
    expect(missing).toEqual([]);
    expect(seen.every((s) => s === 1)).toBe(true);

    figure('restart: published + confirmed 100k persistent messages in', publishMs, 'ms');
    figure('restart: confirmed when stop_app was started', confirmedBeforeRestart);
    figure('restart: confirmed when the connection was lost', confirmedAtLoss);
    figure('restart: lost connection after stop_app began', lost.at - restartStartedAt, 'ms');
    figure('restart: failover (disconnected -> open)', reopened.at - lost.at, 'ms');
    figure('restart: reconnect attempts', states.filter((s) => s === 'connecting').length - 1);
    figure('restart: republished messages', republished);
    figure('restart: messages in the queue (duplicates included)', inQueue!);

    const cleanup = await open({ url: node.url });
    const ch = await cleanup.openChannel();
    await once(ch.queueDelete(queue));
    await cleanup.close();
  }, 180000);
});

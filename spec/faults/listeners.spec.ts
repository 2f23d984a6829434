/**
 * The broker refuses new connections for 5 s (`suspend_listeners` on the throwaway node)
 * just as it drops the open one: reconnect attempts must keep to the backoff policy (delays
 * within its bounds, jitter included) and the connection must come back once the listeners
 * resume.
 */
import type { Subscription } from 'rxjs';
import { connect, ConnectionLostError, type Connection, type ConnectionStatus } from 'rx-amqp';
import { backoffDelay } from '../../lib/connection/backoff';
import { useBrokerNode } from '../support/broker-node';
import { eventually, figure, once, sleep, statusLog, uniqueName } from './helpers';

const POLICY = { initialDelay: 200, maxDelay: 1600, multiplier: 2, jitter: 0.2, maxAttempts: Infinity };
/** How late a timer may fire on a busy test machine. */
const TIMER_SLACK = 250;

type Disconnected = Extract<ConnectionStatus, { state: 'disconnected' }>;

describe('listeners suspended (throwaway node)', () => {
  const held = useBrokerNode();

  it('reconnect attempts keep to the backoff bounds while connections are refused, and recover after', async () => {
    const { node } = held;
    const name = uniqueName('listeners');
    const status = statusLog();
    const connections: Connection[] = [];
    let subscription: Subscription | undefined;
    let suspendedAt = 0;
    let resumedAt = 0;
    try {
      subscription = connect({
        url: node.url,
        connectionName: name,
        reconnect: POLICY,
        connectionTimeout: 5000,
        status: status.observer,
      }).subscribe((c) => connections.push(c));
      await eventually(() => connections.length === 1, 'the first connection opened');
      const [pid] = await node.connectionPids(name);

      await node.suspendListeners();
      suspendedAt = performance.now();
      await node.ctl('close_connection', pid, 'fault spec: listeners suspended');
      await sleep(5000 - (performance.now() - suspendedAt));
      await node.resumeListeners();
      resumedAt = performance.now();
      await eventually(() => connections.length === 2, 'a new connection opened after the listeners resumed', 10000);
      // The new connection works.
      const channel = await connections[1].openChannel();
      await expect(once(channel.queueDeclare('', { exclusive: true }))).resolves.toMatchObject({
        queue: expect.stringMatching(/^amq\.gen-/),
      });
    } finally {
      subscription?.unsubscribe();
    }

    const entries = status.entries;
    const firstLoss = entries.findIndex((e) => e.status.state === 'disconnected');
    const reopened = entries.findIndex((e, i) => i > firstLoss && e.status.state === 'open');
    expect(firstLoss).toBeGreaterThan(0);
    expect(reopened).toBeGreaterThan(firstLoss);
    const outage = entries.slice(firstLoss, reopened + 1);

    // disconnected -> connecting -> disconnected -> ... -> connecting -> open, attempts 1, 2, 3, ...
    const losses = outage.filter((e) => e.status.state === 'disconnected');
    const attempts = outage.filter((e) => e.status.state === 'connecting');
    expect(losses.length).toBeGreaterThanOrEqual(4);
    expect(attempts.length).toBe(losses.length);
    expect(outage.map((e) => e.status.state)).toEqual([
      ...losses.flatMap(() => ['disconnected', 'connecting']),
      'open',
    ]);
    expect(losses.map((e) => (e.status as Disconnected).attempt)).toEqual(losses.map((_, i) => i + 1));
    // After the first (the broker's close), each failure is a refused TCP connection.
    for (const e of losses.slice(1)) {
      const error = (e.status as Disconnected).error;
      expect(error).toBeInstanceOf(ConnectionLostError);
      expect((error.cause as NodeJS.ErrnoException | undefined)?.code).toBe('ECONNREFUSED');
    }

    const gaps: string[] = [];
    losses.forEach((loss, i) => {
      const { attempt, retryIn } = loss.status as Disconnected;
      const low = backoffDelay(POLICY, attempt, () => 0);
      const high = backoffDelay(POLICY, attempt, () => 1);
      // The delay chosen is within the policy's bounds for this attempt, jitter included ...
      expect(retryIn).toBeGreaterThanOrEqual(low);
      expect(retryIn).toBeLessThanOrEqual(high);
      // ... and the next attempt really waited that long (never sooner; late only by timer slack).
      const waited = attempts[i].at - loss.at;
      expect(waited).toBeGreaterThanOrEqual(retryIn - 2);
      expect(waited).toBeLessThanOrEqual(retryIn + TIMER_SLACK);
      gaps.push(`#${attempt} ${Math.round(waited)} ms (bounds ${low}..${high})`);
    });
    // Attempts grow until the cap: 200, 400, 800, 1600, 1600, ... (± 20 %).
    expect(
      losses.slice(3).every((e) => (e.status as Disconnected).retryIn >= POLICY.maxDelay * (1 - POLICY.jitter)),
    ).toBe(true);

    // Recovery: the attempt after the resume succeeds, no later than one capped delay.
    const recoveredAt = entries[reopened].at;
    expect(recoveredAt - resumedAt).toBeLessThanOrEqual(POLICY.maxDelay * (1 + POLICY.jitter) + TIMER_SLACK);
    figure('listeners: attempts while suspended', losses.length);
    figure('listeners: waits', gaps.join(', '));
    figure('listeners: reconnected after resume_listeners', recoveredAt - resumedAt, 'ms');
    figure('listeners: outage seen by the client', recoveredAt - entries[firstLoss].at, 'ms');
  }, 60000);
});

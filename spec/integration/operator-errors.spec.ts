/**
 * Errors of user callbacks in ackAfter and serveRpc against RabbitMQ (issue 10, item 1): what the broker
 * actually received, acked, requeued and dead-lettered when user code throws, the operator
 * errors or its subscriber leaves.
 */
import { firstValueFrom, lastValueFrom, map, of, retry, take, toArray, type ObservableInput } from 'rxjs';
import { connect, openChannel, consume, ackAfter, rpcCall, serveRpc, TimeoutError, type Channel } from 'rx-amqp';
import { brokerAdmin, BROKER_URL, eventually, queueCounts, rabbitmqctl, uniqueName } from './helpers';

/** A handler in the README's quick-start shape: the job is parsed synchronously (`job.json()`), the work is async. */
function handle(job: { n: number }): ObservableInput<number> {
  return new Promise((resolve) => setTimeout(() => resolve(job.n), 2));
}

describe('operator errors and teardown against RabbitMQ', () => {
  const admin = brokerAdmin();
  const { exchanges } = admin;
  const queue = (options: Parameters<Channel['queueDeclare']>[1] = {}) => admin.queue('operr', options);
  /** Messages ready in `q` (a passive declare: quick, no rabbitmqctl). */
  const ready = (q: string) => admin.ready(q);
  /** A work queue dead-lettering into a queue of its own, filled with jobs of which one holds bad JSON. */
  const poisonedQueue = async (jobs: number, poisonAt: number) => {
    const dlx = uniqueName('operr-dlx');
    exchanges.push(dlx);
    await firstValueFrom(admin.channel.exchangeDeclare(dlx, 'fanout', { autoDelete: false }));
    const dead = await queue();
    await firstValueFrom(admin.channel.queueBind(dead, dlx));
    const work = await queue({ deadLetterExchange: dlx });
    for (let n = 1; n <= jobs; n++)
      admin.channel.basicPublish(n === poisonAt ? '{"n": bad json' : JSON.stringify({ n }), '', work);
    await eventually(async () => (await ready(work)) === jobs, `${jobs} jobs are ready`);
    return { work, dead };
  };

  describe('item 1: a handler that throws synchronously fails that one message', () => {
    it('ackAfter((job) => handle(job.json())) with one bad-JSON message: it is requeued once, then dead-lettered; every good job is handled and acked once', async () => {
      const { work, dead } = await poisonedQueue(20, 7);
      const attempts = new Map<string, number>();
      const handled = await lastValueFrom(
        connect(BROKER_URL).pipe(
          openChannel({ prefetch: 10 }),
          consume(work),
          ackAfter(
            (job) => {
              attempts.set(job.text, (attempts.get(job.text) ?? 0) + 1);
              return handle(job.json());
            },
            { concurrency: 4 },
          ),
          take(19),
          toArray(),
        ),
      );
      expect(handled.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1).filter((n) => n !== 7));
      await eventually(async () => (await ready(dead)) === 1, 'the bad message is dead-lettered');
      await eventually(async () => {
        const c = await queueCounts(work);
        return c.ready === 0 && c.unacked === 0;
      }, 'the work queue is empty: every good job acked, nothing requeued');
      // every good job ran exactly once (none was requeued by a pipeline error and run again)
      for (const [text, n] of attempts) expect([text, n]).toEqual([text, text.includes('bad') ? 2 : 1]);
      expect(attempts.size).toBe(20);
      const letter = await firstValueFrom(admin.channel.basicGet(dead, { noAck: true }));
      expect(letter?.text).toBe('{"n": bad json');
    });

    it('under retry() the poison message does not loop: one requeue, then the dead-letter exchange', async () => {
      const { work, dead } = await poisonedQueue(5, 3);
      let poisonAttempts = 0;
      let goodRuns = 0;
      const sub = connect(BROKER_URL)
        .pipe(
          openChannel({ prefetch: 5 }),
          consume(work),
          ackAfter((job) => {
            if (job.text.includes('bad')) poisonAttempts++;
            else goodRuns++;
            return handle(job.json());
          }),
          retry({ delay: 20 }),
        )
        .subscribe();
      try {
        await eventually(async () => (await ready(dead)) === 1, 'the poison message is dead-lettered', 5000);
        await eventually(async () => {
          const c = await queueCounts(work);
          return c.ready === 0 && c.unacked === 0;
        }, 'the work queue is empty');
        expect(poisonAttempts).toBe(2);
        expect(goodRuns).toBe(4);
      } finally {
        sub.unsubscribe();
      }
    });

    it('an onError function that throws does not stall the stream: the default action applies', async () => {
      const { work, dead } = await poisonedQueue(6, 2);
      const handled: number[] = [];
      let pipelineError: unknown;
      const sub = connect(BROKER_URL)
        .pipe(
          openChannel({ prefetch: 6 }),
          consume(work),
          ackAfter((job) => handle(job.json()), {
            onError: () => {
              throw new Error('the error policy itself is broken');
            },
          }),
        )
        .subscribe({ next: (n) => handled.push(n), error: (e) => (pipelineError = e) });
      try {
        await eventually(async () => (await ready(dead)) === 1, 'requeued once, then dead-lettered (the default)');
        await eventually(async () => {
          const c = await queueCounts(work);
          return c.ready === 0 && c.unacked === 0;
        }, 'the work queue is empty');
        expect(handled.sort((a, b) => a - b)).toEqual([1, 3, 4, 5, 6]);
        expect(pipelineError).toBeUndefined();
      } finally {
        sub.unsubscribe();
      }
    });

    it('serveRpc: a handler that throws does not stop the server; the request is requeued once, then rejected, and later calls are answered', async () => {
      const q = await queue();
      const requests: string[] = [];
      let serverError: unknown;
      const server = connect(BROKER_URL)
        .pipe(
          openChannel({ prefetch: 5 }),
          serveRpc(q, (req) => {
            requests.push(`${req.text}${req.redelivered ? ' (again)' : ''}`);
            if (req.text === 'boom') throw new Error('handler bug');
            return of(`re ${req.text}`);
          }),
        )
        .subscribe({ error: (e) => (serverError = e) });
      const client = await admin.openChannel();
      try {
        await eventually(
          async () => (await rabbitmqctl('list_queues', 'name', 'consumers')).includes(`${q}\t1`),
          'the RPC server consumes',
        );
        expect(await firstValueFrom(rpcCall(client, q, 'first', { timeout: 5000 }).pipe(map((r) => r.text)))).toBe(
          're first',
        );
        await expect(firstValueFrom(rpcCall(client, q, 'boom', { timeout: 500 }))).rejects.toBeInstanceOf(TimeoutError);
        for (const t of ['second', 'third']) {
          expect(await firstValueFrom(rpcCall(client, q, t, { timeout: 5000 }).pipe(map((r) => r.text)))).toBe(
            `re ${t}`,
          );
        }
        expect(requests.filter((r) => r.startsWith('boom'))).toEqual(['boom', 'boom (again)']);
        await eventually(async () => {
          const c = await queueCounts(q);
          return c.ready === 0 && c.unacked === 0;
        }, 'the bad request is gone (rejected), nothing left unacked');
        expect(serverError).toBeUndefined();
        expect(server.closed).toBe(false);
      } finally {
        server.unsubscribe();
        await client.close();
      }
    });
  });
});

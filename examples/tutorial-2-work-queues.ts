/**
 * RabbitMQ tutorial 2: work queues (prefetch 1, ackAfter).
 *
 * new_task.js sends tasks (each dot in a task is a second of work), several worker.js processes
 * share them. Each worker takes one task at a time (prefetch 1) and acks it only when done, so
 * a worker that dies loses nothing. https://www.rabbitmq.com/tutorials/tutorial-two-javascript
 *
 * Here: one producer and `--workers` workers (each on its own channel of one connection),
 * `--tasks` tasks with 1..4 dots, `--dot ms` per dot (the tutorial's 1000; default 100 to keep
 * it quick). `ackAfter(work)` acks each task once its work completed.
 *
 *   npm run example -- tutorial-2-work-queues --tasks 8 --workers 2
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { concatMap, ignoreElements, map, merge, of, range, reduce, switchMap, take, tap, timer } from 'rxjs';
import { ackAfter, connect, consume, declareQueue, Message, openChannel, publishTo, type Connection } from 'rx-amqp';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.AMQP_URL },
    tasks: { type: 'string', default: '8' },
    workers: { type: 'string', default: '2' },
    dot: { type: 'string', default: '100' },
  },
});
const taskCount = Number(values.tasks);
const workerCount = Number(values.workers);
const msPerDot = Number(values.dot);
const queue = `task_queue.${randomBytes(4).toString('hex')}`; // the tutorial's 'task_queue', made unique

function workQueue(connection: Connection) {
  // One connection for everyone; each openChannel() below opens a channel of its own on it.
  const connection$ = of(connection);
  const durable = declareQueue(queue, { durable: true }); // survives a broker restart

  // new_task.js: persistent messages ('Task 1.', 'Task 2..', ...), with confirms.
  const tasks = range(1, taskCount).pipe(map((i) => `Task ${i}${'.'.repeat(((i - 1) % 4) + 1)}`));
  const producer$ = tasks.pipe(
    publishTo(connection$.pipe(openChannel({ confirm: true }), durable), '', queue, {
      toMessage: (text) => new Message(text, { deliveryMode: 2 }), // persistent
    }),
    tap((r) => console.log(` [x] Sent '${r.message?.text}'`)),
  );

  // worker.js: prefetch 1, do the work (a timer per dot), ack after it.
  const worker = (name: string) =>
    connection$.pipe(
      openChannel({ prefetch: 1 }), // at most one unacked task per worker: fair dispatch
      durable,
      consume(queue),
      ackAfter((task) => {
        const dots = task.text.split('.').length - 1;
        console.log(` [${name}] Received '${task.text}'`);
        return timer(dots * msPerDot).pipe(map(() => name));
      }),
      tap(() => console.log(` [${name}] Done`)),
    );
  const workers = Array.from({ length: workerCount }, (_, i) => worker(`worker ${String.fromCharCode(65 + i)}`));

  // Every task done (and acked): count who did what.
  const done$ = merge(...workers, producer$.pipe(ignoreElements())).pipe(
    take(taskCount),
    reduce((counts, name) => counts.set(name, (counts.get(name) ?? 0) + 1), new Map<string, number>()),
  );

  // Then clean up: delete the queue (a durable queue outlives its consumers).
  return done$.pipe(
    concatMap((counts) =>
      connection$.pipe(
        openChannel(),
        switchMap((channel) => channel.queueDelete(queue)),
        map(() => counts),
      ),
    ),
  );
}

const started = Date.now();
connect(values.url)
  .pipe(
    switchMap(workQueue),
    take(1), // the summary: unsubscribe, which closes the connection
  )
  .subscribe({
    next: (counts) => {
      console.log(`deleted ${queue}`);
      for (const [name, n] of counts) console.log(`${name} did ${n} task${n === 1 ? '' : 's'}`);
      console.log(`done: ${taskCount} tasks in ${Date.now() - started} ms`);
    },
    error: (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  });

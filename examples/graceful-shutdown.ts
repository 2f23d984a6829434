/**
 * Recipe: graceful shutdown on SIGTERM — stop consuming, finish what is in hand, ack it, close.
 *
 * `consume(queue, { until: stop$ })` cancels the consumer when `stop$` emits; the deliveries
 * already received still go through `ackAfter`, each is acked when its handler finishes, then
 * the pipeline completes by itself and closes its connection. Nothing handled comes again;
 * what was not delivered stays in the queue for the next worker. `timeout` bounds each
 * handler (its `signal` aborts, the delivery fails per `onError`), so a stuck handler cannot
 * hold the shutdown forever.
 *
 * Here: `--jobs` jobs are queued, a worker handles them (`--work` ms each, `--concurrency` at
 * once, prefetch `--prefetch`) until SIGTERM or SIGINT (or, to try it without a signal, until
 * `--stop-after` jobs are done), then it reports what it handled and what is left.
 *
 *   npm run example -- graceful-shutdown --jobs 40 --stop-after 6
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  filter,
  firstValueFrom,
  fromEvent,
  lastValueFrom,
  map,
  merge,
  of,
  Subject,
  take,
  tap,
  timer,
  toArray,
} from 'rxjs';
import { ackAfter, connect, consume, declareQueue, open, openChannel, publishTo } from 'rx-amqp';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.AMQP_URL },
    jobs: { type: 'string', default: '40' },
    work: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '3' },
    prefetch: { type: 'string', default: '5' },
    'stop-after': { type: 'string' },
  },
});
const url = values.url ?? 'amqp://guest:guest@localhost:5672';
const jobs = Number(values.jobs);
const work = Number(values.work);
const queue = `rx-amqp.example.${randomBytes(4).toString('hex')}.jobs`;

async function main() {
  // Queue the jobs.
  const admin = await open(url);
  const channel = await admin.openChannel();
  await firstValueFrom(channel.queueDeclare(queue));
  await lastValueFrom(
    of(...Array.from({ length: jobs }, (_, i) => `job ${i + 1}`)).pipe(
      publishTo(channel, '', queue, { confirm: true }),
      toArray(),
    ),
  );
  console.log(`queued ${jobs} jobs in ${queue}`);

  // The worker: its pipeline owns its connection and ends by itself after a drain.
  const done$ = new Subject<void>();
  const stop$ = merge(
    fromEvent(process, 'SIGTERM').pipe(map(() => 'SIGTERM')),
    fromEvent(process, 'SIGINT').pipe(map(() => 'SIGINT')),
    values['stop-after']
      ? done$.pipe(
          take(Number(values['stop-after'])),
          toArray(),
          map(() => `${values['stop-after']} jobs done`),
        )
      : [],
  ).pipe(
    take(1),
    tap((why) => console.log(`stopping (${why}): no new jobs; finishing the ones in hand`)),
  );
  process.stdout.write('worker ready\n');
  const handled = await lastValueFrom(
    connect(url).pipe(
      openChannel({ prefetch: Number(values.prefetch) }),
      declareQueue(queue),
      consume(queue, { until: stop$ }),
      ackAfter(
        (job, signal) =>
          timer(work).pipe(
            filter(() => !signal.aborted),
            map(() => job.text),
            tap((text) => {
              console.log(`done ${text}`);
              done$.next();
            }),
          ),
        { concurrency: Number(values.concurrency), timeout: 30000 },
      ),
      toArray(),
    ),
  );

  // The worker's connection is closed: see what it left behind.
  const left = (await firstValueFrom(channel.queueDeclare(queue, { passive: true }))).messageCount;
  console.log(
    `handled ${handled.length} jobs, each acked; ${left} still queued; ${handled.length + left} of ${jobs} accounted for`,
  );
  await firstValueFrom(channel.queueDelete(queue));
  await admin.close();
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

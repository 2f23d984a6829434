// README "Graceful shutdown" (verbatim), with the application's `url` and a `handle` that takes an AbortSignal declared.
declare const url: string;
declare function handle(payload: unknown, options: { signal: AbortSignal }): Promise<void>;

import { connect, openChannel, consume, ackAfter } from 'rx-amqp';
import { fromEvent } from 'rxjs';

const stop$ = fromEvent(process, 'SIGTERM');
connect(url)
  .pipe(
    openChannel({ prefetch: 10 }),
    consume('jobs', { until: stop$ }),
    ackAfter((job, signal) => handle(job.json(), { signal }), { concurrency: 5, timeout: 30_000 }),
  )
  .subscribe({ complete: () => console.log('drained'), error: (e) => console.error(e) });

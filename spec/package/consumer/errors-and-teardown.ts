// README "Errors and teardown": the recommended pipeline shape (verbatim), with the application's `url` declared.
declare const url: string;

import { connect, openChannel, declareQueue, consume, ackAfter } from 'rx-amqp';
import { retry } from 'rxjs';

connect({ url, reconnect: true })           // a lost connection is not an error: it reconnects
  .pipe(
    openChannel({ prefetch: 10 }),
    declareQueue('jobs', { durable: true }),
    consume('jobs'),
    ackAfter((job) => handle(job.json())),  // a job that fails is nacked; the stream goes on
    retry({ count: 5, delay: 1000 }),       // a channel error (queue deleted, consumer cancelled) starts the pipeline over
  )
  .subscribe({ error: (e) => console.error('pipeline ended', e) }); // what is left: log it, alert, exit on purpose

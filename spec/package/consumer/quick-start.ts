// README "Quick start": the RxJS-style pipeline (verbatim).
import { connect, openChannel, declareQueue, consume, ackAfter } from 'rx-amqp';

const subscription = connect('amqp://guest:guest@localhost:5672')
  .pipe(
    openChannel({ prefetch: 10 }),
    declareQueue('jobs', { durable: true }),
    consume('jobs'),
    ackAfter((job) => handle(job.json()), { concurrency: 10 }),
  )
  .subscribe();

export { subscription };

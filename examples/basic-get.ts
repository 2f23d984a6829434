/**
 * Polling a queue with basicGet until it is empty.
 *
 * py-amqplib: `msg = ch.basic_get(qname)`, None when the queue is empty. Here
 * `channel.basicGet(queue)` is a cold Observable that emits the next message, or null.
 * Subscribing again polls again, so "poll until empty" is `repeat()` + `takeWhile()`.
 *
 *   npm run example -- basic-get [--count 5]
 */
import { parseArgs } from 'node:util';
import { concatMap, count, repeat, switchMap, take, takeWhile, tap } from 'rxjs';
import { connect, declareQueue, openChannel, type Delivery } from 'rx-amqp';

const url = process.env.AMQP_URL;
const { values } = parseArgs({ options: { count: { type: 'string', default: '5' } } });
const total = Number(values.count);

connect(url)
  .pipe(
    openChannel(),
    declareQueue('', { exclusive: true }),
    tap((channel) => {
      for (let i = 1; i <= total; i++) channel.basicPublish(`job ${i}`, '', channel.lastQueue);
      console.log(`published ${total} messages to ${channel.lastQueue}`);
    }),
    switchMap((channel) =>
      channel.basicGet(channel.lastQueue).pipe(
        repeat(), // poll again as soon as the previous get answered
        takeWhile((d): d is Delivery => d !== null), // null: the queue is empty
        tap((d) => {
          console.log(`  got '${d.text}' (delivery tag ${d.deliveryTag}, ${d.messageCount} left in the queue)`);
          d.ack();
        }),
        count(),
        concatMap((n) =>
          channel
            .basicGet(channel.lastQueue)
            .pipe(
              tap((d) =>
                console.log(`polled ${n} messages; one more get: ${d === null ? 'null (queue empty)' : d.text}`),
              ),
            ),
        ),
      ),
    ),
    take(1),
  )
  .subscribe({
    complete: () => console.log('done'),
    error: (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  });

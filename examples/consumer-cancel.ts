/**
 * Consuming, and cancelling a consumer by its tag (basicCancel) or by unsubscribing.
 *
 * py-amqplib: `tag = ch.basic_consume(qname, callback=cb)` ... `ch.basic_cancel(tag)`.
 *
 * `channel.basicConsume(queue, opts)` is an Observable of deliveries: subscribing sends
 * basic.consume, unsubscribing sends basic.cancel. `channel.basicCancel(tag)` cancels by tag
 * from anywhere, and the consumer's stream then completes. `channel.consumerTags` lists the
 * live consumers (py-amqplib's `ch.callbacks`).
 *
 *   npm run example -- consumer-cancel
 */
import { randomBytes } from 'node:crypto';
import { firstValueFrom, lastValueFrom, merge, take, tap, toArray } from 'rxjs';
import { open } from 'rx-amqp';

const url = process.env.AMQP_URL;

async function main(): Promise<void> {
  await using connection = await open(url);
  await using channel = await connection.openChannel();
  const { queue } = await firstValueFrom(channel.queueDeclare('', { exclusive: true }));

  await lastValueFrom(channel.confirmSelect()); // (only so that step 3 can wait for its publishes)

  // 1. A consumer with a tag of our choosing (default: the server picks one, amq.ctag-...).
  //    Once registered it publishes two messages to itself; after the second, it cancels
  //    itself by tag, and its stream completes.
  const tag = `rx-amqp-example-${randomBytes(4).toString('hex')}`;
  const got = await lastValueFrom(
    channel
      .basicConsume(queue, {
        consumerTag: tag,
        noAck: true,
        onStarted: (consumerTag) => {
          console.log(`consuming as '${consumerTag}'; live consumers: ${JSON.stringify(channel.consumerTags)}`);
          channel.basicPublish('one', '', queue);
          channel.basicPublish('two', '', queue);
        },
      })
      .pipe(
        tap((d) => console.log(`  consumer ${d.consumerTag} got '${d.text}'`)),
        tap((d) => d.text === 'two' && channel.basicCancel(tag).subscribe()),
        toArray(), // collects until the stream completes
      ),
  );
  console.log(
    `basicCancel('${tag}'): the stream completed after ${got.length} messages; live consumers: ${JSON.stringify(channel.consumerTags)}`,
  );

  // 2. A consumer with a server-chosen tag, ended by unsubscribing after one message.
  const [first] = await Promise.all([
    firstValueFrom(channel.basicConsume(queue).pipe(take(1))), // take(1): unsubscribe = basic.cancel
    lastValueFrom(channel.publish('three', '', queue)),
  ]);
  first.ack();
  console.log(
    `consumer ${first.consumerTag} got '${first.text}' and unsubscribed (basic.cancel); live consumers: ${JSON.stringify(channel.consumerTags)}`,
  );

  // 3. Nobody consumes now: new messages wait in the queue.
  await lastValueFrom(
    merge(channel.publish('after cancel 1', '', queue), channel.publish('after cancel 2', '', queue)),
  );
  const { messageCount, consumerCount } = await firstValueFrom(channel.queueDeclare(queue, { passive: true }));
  console.log(`published 2 more (confirmed): ${messageCount} waiting in the queue, ${consumerCount} consumers`);
  console.log('done');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

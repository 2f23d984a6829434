/**
 * Channels by number, shared numbers, closing by unsubscribing and by `await using`.
 *
 * py-amqplib's `connection.channel(1)` returned the same channel when asked twice; here
 * `connection.channel(1)` is a cold Observable, and every subscriber asking for the same number
 * shares the one open channel. The channel closes when the last of them unsubscribes.
 *
 *   npm run example -- channels
 */
import { firstValueFrom, type Subscription } from 'rxjs';
import { connect, open, openChannel, type Channel } from 'rx-amqp';

const url = process.env.AMQP_URL;

async function main(): Promise<void> {
  await using connection = await open(url);

  // -- Shared numbers: two subscriptions to channel(1) get the same Channel object. --------
  const seen: Channel[] = [];
  let subA!: Subscription;
  let subB!: Subscription;
  await new Promise<void>((resolve, reject) => {
    const record = { next: (ch: Channel) => seen.push(ch) === 2 && resolve(), error: reject };
    subA = connection.channel(1).subscribe(record); // channel.open is sent once...
    subB = connection.channel(1).subscribe(record); // ...this one shares it
  });
  const [first, second] = seen;
  console.log(`channel(1) twice: same channel? ${first === second} (id ${first.id})`);

  // Without a number, each subscription gets its own channel on the lowest free number.
  // firstValueFrom takes the first value and unsubscribes, which closes that channel again.
  const other = await firstValueFrom(connection.channel());
  await other.closed;
  console.log(`channel() without an id: got channel ${other.id}; closed again by unsubscribing: ${!other.isOpen}`);

  // One subscriber leaving does not close a shared channel...
  subA.unsubscribe();
  console.log(`after one of two unsubscribed: channel 1 open? ${first.isOpen}`);
  // ...the last one does (channel.close / close-ok).
  subB.unsubscribe();
  await first.closed;
  console.log(`after both unsubscribed: channel 1 open? ${first.isOpen}`);

  // -- For await code: openChannel(id?) and `await using`. ---------------------------------
  {
    await using channel = await connection.openChannel(5);
    console.log(`openChannel(5): channel ${channel.id} open? ${channel.isOpen}`);
    // A method the server answers is a cold Observable: subscribe (here: await) to send it.
    const ok = await firstValueFrom(channel.queueDeclare('', { exclusive: true }));
    console.log(`  declared a server-named queue on it: ${ok.queue.slice(0, 8)}...`);
  } // <- channel.close() happens here
  console.log('left the block: channel 5 closed by `await using`');

  // -- RxJS style: openChannel() opens a channel on each connection that arrives. ----------
  // firstValueFrom unsubscribes after the first value: the channel, then the connection close.
  const seven = await firstValueFrom(connect(url).pipe(openChannel({ id: 7, prefetch: 10 }))); // prefetch: basic.qos
  console.log(`connect().pipe(openChannel({ id: 7 })): got channel ${seven.id}`);
  await seven.connection.closed;
  console.log(`  and closed it with its connection by unsubscribing: ${!seven.isOpen && !seven.connection.isOpen}`);
  console.log('done');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

/**
 * Access tickets in AMQP 0-8: accessRequest, as a method and as an operator.
 *
 * py-amqplib: `ch.access_request('/data', active=True, read=True, write=True)`.
 *
 * In 0-8 a client asks for a ticket for a realm and passes it with every exchange, queue and
 * basic method. rx-amqp remembers the ticket of the last `accessRequest` as the channel's
 * default, so later methods carry it without being told. (RabbitMQ still answers
 * access.request, in 0-9-1 too, where the ticket fields are reserved.)
 *
 *   npm run example -- access-ticket
 */
import { randomUUID } from 'node:crypto';
import { firstValueFrom, lastValueFrom, map, switchMap, take } from 'rxjs';
import { accessRequest, connect, declareQueue, open, openChannel } from 'rx-amqp';

const url = process.env.AMQP_URL;

async function main(): Promise<void> {
  // --- await style ------------------------------------------------------------------------
  {
    await using connection = await open({ url, protocol: '0-8' });
    console.log(`connected with AMQP ${connection.protocol}`);
    await using channel = await connection.openChannel();

    const ticket = await firstValueFrom(channel.accessRequest('/data', { active: true, read: true, write: true }));
    console.log(`access.request('/data') granted ticket ${ticket}; channel.ticket = ${channel.ticket}`);

    // These carry the ticket automatically.
    const queue = `rx-amqp.example.ticket.${randomUUID()}`;
    await lastValueFrom(channel.queueDeclare(queue, { exclusive: true }));
    channel.basicPublish('sent with a ticket', '', queue);
    const got = await firstValueFrom(channel.basicGet(queue, { noAck: true }));
    console.log(`basic.get with the ticket: '${got?.text}'`);
  }

  // --- RxJS style: accessRequest() as an operator, before the rest of the topology --------
  const queue = await lastValueFrom(
    connect({ url, protocol: '0-8' }).pipe(
      openChannel(),
      accessRequest('/data', { active: true, read: true, write: true }),
      declareQueue('', { exclusive: true }), // server-named; ticket sent along
      map((channel) => `ticket ${channel.ticket}, queue ${channel.lastQueue.slice(0, 8)}...`),
      take(1),
    ),
  );
  console.log(`pipeline: ${queue}`);

  // 0-8 has no publisher confirms: asking for them is a typed error, not a silent no-op.
  const error = await lastValueFrom(
    connect({ url, protocol: '0-8' }).pipe(
      openChannel(),
      switchMap((channel) => channel.confirmSelect()),
      take(1),
    ),
  ).catch((e: Error) => e);
  console.log(`confirmSelect() in 0-8: ${(error as Error).name}: ${(error as Error).message}`);
  console.log('done');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

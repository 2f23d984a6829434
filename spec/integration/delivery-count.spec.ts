import { firstValueFrom, lastValueFrom, map, take, toArray } from 'rxjs';
import { open, type Connection } from 'rx-amqp';
import { BROKER_URL, uniqueName } from './helpers';

describe('delivery.deliveryCount on a quorum queue (integration)', () => {
  let connection: Connection;
  beforeAll(async () => {
    connection = await open(BROKER_URL);
  });
  afterAll(async () => {
    await connection.close();
  });

  it('reads 0, 1, 2 across redeliveries (nack with requeue)', async () => {
    const queue = uniqueName('delivery-count');
    const channel = await connection.openChannel();
    try {
      await firstValueFrom(channel.confirmSelect());
      await firstValueFrom(channel.queueDeclare(queue, { durable: true, type: 'quorum' }));
      await firstValueFrom(channel.publish('again', '', queue));
      await firstValueFrom(channel.basicQos(1));
      const seen = await lastValueFrom(
        channel.basicConsume(queue).pipe(
          take(3),
          map((d) => {
            const seenAs = { count: d.deliveryCount, redelivered: d.redelivered, text: d.text };
            if (d.deliveryCount < 2) d.nack(true);
            else d.ack();
            return seenAs;
          }),
          toArray(),
        ),
      );
      expect(seen).toEqual([
        { count: 0, redelivered: false, text: 'again' },
        { count: 1, redelivered: true, text: 'again' },
        { count: 2, redelivered: true, text: 'again' },
      ]);
    } finally {
      await firstValueFrom(channel.queueDelete(queue));
      await channel.close();
    }
  });
});

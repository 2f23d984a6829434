import { firstValueFrom } from 'rxjs';
import { open, type Connection } from 'rx-amqp';
import { BROKER_URL, rabbitmqctl, uniqueName } from './helpers';

describe('typed queue options against RabbitMQ (integration)', () => {
  let connection: Connection;
  beforeAll(async () => {
    connection = await open(BROKER_URL);
  });
  afterAll(async () => {
    await connection.close();
  });

  it('a quorum queue declared with leaderLocator and consumerTimeout carries x-queue-leader-locator and x-consumer-timeout', async () => {
    const queue = uniqueName('typed-args');
    const channel = await connection.openChannel();
    try {
      await firstValueFrom(
        channel.queueDeclare(queue, {
          durable: true,
          type: 'quorum',
          leaderLocator: 'balanced',
          consumerTimeout: 120000,
        }),
      );
      const listed = (await rabbitmqctl('list_queues', '--no-table-headers', 'name', 'arguments'))
        .split('\n')
        .find((line) => line.startsWith(`${queue}\t`));
      expect(listed).toContain('{"x-queue-leader-locator","balanced"}');
      expect(listed).toContain('{"x-consumer-timeout",120000}');
    } finally {
      await firstValueFrom(channel.queueDelete(queue));
      await channel.close();
    }
  });
});

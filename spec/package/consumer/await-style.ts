// README "Quick start": the `await` style with `await using` (verbatim).
import { firstValueFrom } from 'rxjs';
import { open, Message } from 'rx-amqp';

await using connection = await open({ url: process.env.AMQP_URL, connectionName: 'billing' });
await using channel = await connection.openChannel();
const { queue } = await firstValueFrom(channel.queueDeclare('', { exclusive: true }));
channel.basicPublish(new Message('hello'), '', queue);
const delivery = await firstValueFrom(channel.basicGet(queue));
console.log(delivery?.text); // "hello"
delivery?.ack();

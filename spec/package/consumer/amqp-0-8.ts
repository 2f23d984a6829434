// README "AMQP 0-8 and access tickets" (the snippet is verbatim; the imports are implied).
import { firstValueFrom } from 'rxjs';
import { open } from 'rx-amqp';

const connection = await open({ protocol: '0-8' });
const channel = await connection.openChannel();
const ticket = await firstValueFrom(channel.accessRequest('/data', { active: true, read: true, write: true }));
// every later method that carries a ticket sends this one

export { ticket };

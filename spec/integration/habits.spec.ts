/**
 * Issue 10 against RabbitMQ: users' habits (a trailing-slash URL, openChannel of an open
 * channel), settling after a channel began to close, and publish() under a stalled socket.
 */
import { open, type Connection } from 'rx-amqp';
import { BROKER_URL, once, rabbitmqctl, uniqueName } from './helpers';

/** The broker URL with a bare trailing slash: `amqp://guest:guest@127.0.0.1:5672/`. */
const TRAILING_SLASH_URL = `${BROKER_URL.replace(/\/+$/, '')}/`;

describe('users\u2019 habits', () => {
  let c: Connection | undefined;
  afterEach(async () => {
    await c?.close();
    c = undefined;
  });

  it('a URL with a trailing slash connects to the vhost "/"', async () => {
    expect(TRAILING_SLASH_URL).toMatch(/:\d+\/$/);
    c = await open(TRAILING_SLASH_URL);
    const ch = await c.openChannel();
    const queue = uniqueName('slash');
    await once(ch.queueDeclare(queue, { exclusive: true }));
    const listed = await rabbitmqctl('list_queues', '-p', '/', '--no-table-headers', 'name');
    expect(listed.split('\n').map((l) => l.trim())).toContain(queue);
  });

  it('openChannel(id) of an open channel resolves to that same channel', async () => {
    c = await open(BROKER_URL);
    const a = await c.openChannel(5);
    const b = await c.openChannel(5);
    expect(b).toBe(a);
    expect((await once(b.queueDeclare('', { exclusive: true }))).queue).toMatch(/^amq\.gen-/);
    await b.close();
    expect(a.isOpen).toBe(false);
  });
});

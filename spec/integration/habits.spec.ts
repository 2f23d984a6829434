/**
 * Issue 10 against RabbitMQ: users' habits (a trailing-slash URL, openChannel of an open
 * channel), settling after a channel began to close, and publish() under a stalled socket.
 */
import { firstValueFrom } from 'rxjs';
import { Message, open, type Connection } from 'rx-amqp';
import { BROKER_URL, once, opts, rabbitmqctl, tapTransport, uniqueName } from './helpers';

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

describe('settling after the channel began to close (RabbitMQ)', () => {
  it.each(['channel', 'connection'] as const)('ack() after %s.close() began returns false, writes nothing, and the broker redelivers', async (what) => {
    const tap = tapTransport('0-9-1');
    const c = await open(opts('0-9-1', { transport: tap.transport }));
    const checker = await open(BROKER_URL);
    try {
      const ch = await c.openChannel();
      const queue = uniqueName('ack-after-close');
      await once(ch.queueDeclare(queue, { autoDelete: false, durable: false }));
      ch.basicPublish(new Message('once'), '', queue);
      await once(ch.basicQos(1));
      const delivery = await firstValueFrom(ch.basicConsume(queue));
      expect(delivery.redelivered).toBe(false);
      // firstValueFrom cancelled the consumer; the delivery stays unacked on the channel.
      const closing = what === 'channel' ? ch.close() : c.close();
      expect(delivery.ack()).toBe(false);
      await closing;
      const names = tap.methods.filter((m) => m.channel === ch.id || m.channel === 0).map((m) => m.name);
      expect(names).not.toContain('basic.ack');

      const probe = await checker.openChannel();
      const again = await once(probe.basicGet(queue, { noAck: true }));
      expect(again?.text).toBe('once');
      expect(again?.redelivered).toBe(true);
      await once(probe.queueDelete(queue));
    } finally {
      await c.close();
      await checker.close();
    }
  });
});

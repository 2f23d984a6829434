/**
 * Messages: plain bytes, unicode text, headers and properties, JSON.
 *
 * py-amqplib: `amqp.Message(body, content_type=..., application_headers={...})`.
 *
 * A string body is encoded as UTF-8 and `contentEncoding` becomes 'UTF-8'; a Uint8Array is sent
 * as it is. Header tables map JS values both ways (strings, numbers, booleans, Dates, bytes,
 * arrays, nested objects, null).
 *
 *   npm run example -- messages
 */
import { count, map, take, tap } from 'rxjs';
import { connect, consume, declareQueue, Message, openChannel, type Delivery } from 'rx-amqp';

const url = process.env.AMQP_URL;

const messages = [
  // 1. Plain: bytes, no properties.
  new Message(new Uint8Array([0x68, 0x65, 0x6c, 0x6c, 0x6f])), // "hello"
  // 2. Unicode text: UTF-8 on the wire.
  new Message('Unicode: ☃ snowman, ✓ check, 日本語, emoji 🐇'),
  // 3. Headers and the other properties.
  new Message('a message with headers', {
    contentType: 'text/plain',
    headers: {
      foo: 7,
      bar: 'baz',
      pi: 3.14,
      yes: true,
      when: new Date('2024-01-02T03:04:05Z'),
      list: [1, 'two', false],
      nested: { a: 1, b: 'deux' },
      nothing: null,
    },
    deliveryMode: 2, // persistent
    priority: 5,
    correlationId: 'corr-42',
    messageId: 'msg-1',
    timestamp: new Date('2024-01-02T03:04:05Z'),
    type: 'example',
    appId: 'rx-amqp-examples',
  }),
  // 4. JSON: Message.json sets contentType application/json.
  Message.json({ hello: 'world', n: [1, 2, 3] }),
];

function show(d: Delivery, i: number): void {
  console.log(`message ${i + 1}: ${d.body.length} bytes, text '${d.text}'`);
  const { headers, ...props } = d.properties;
  console.log(`  properties: ${JSON.stringify(props)}`);
  if (headers) console.log(`  headers: ${JSON.stringify(headers)}`);
  if (d.properties.contentType === 'application/json') console.log(`  json(): ${JSON.stringify(d.json())}`);
}

connect(url)
  .pipe(
    openChannel(),
    declareQueue('', { exclusive: true }), // server-named, deleted with the connection
    // Publish all four to the default exchange, which routes by queue name...
    tap((channel) => {
      for (const m of messages) channel.basicPublish(m, '', channel.lastQueue);
    }),
    // ...and read them back ('' = the queue declared above).
    consume('', { noAck: true }),
    take(messages.length),
    map((delivery, i) => show(delivery, i)),
    count(),
  )
  .subscribe({
    next: (n) => console.log(`done: ${n} messages round-tripped`),
    error: (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  });

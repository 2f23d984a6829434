/**
 * Connecting: open() and connect(), with a URL, an options object, or nothing.
 *
 * The four ways (py-amqplib had `amqp.Connection(host, userid, password, ...)`):
 *
 *   1. `open()` with no argument: the default broker, amqp://guest:guest@localhost:5672
 *   2. `open(url)`: an AMQP URI, with tuning in its query string
 *   3. `open({ ... })`: an options object (it may carry a `url`; explicit options win)
 *   4. `connect(url)`: the cold Observable; subscribing connects, unsubscribing closes
 *
 * `open()` returns a Promise<Connection> whose lifetime ends with `close()` or `await using`.
 *
 *   npm run example -- connect            (AMQP_URL=amqp://user:pass@host/vhost to change broker)
 */
import { connect, open, redactUrl, type Connection } from 'rx-amqp';

const url = process.env.AMQP_URL; // undefined: the default broker on localhost

function describe(label: string, connection: Connection): void {
  const server = connection.serverProperties;
  const { channelMax, frameMax, heartbeat } = connection.tune;
  console.log(`${label}: connected to ${server.product} ${server.version} over AMQP ${connection.protocol}`);
  console.log(
    `  endpoint ${connection.endpoint.hostname}:${connection.endpoint.port}, channelMax=${channelMax} frameMax=${frameMax} heartbeat=${heartbeat}s`,
  );
}

async function main(): Promise<void> {
  // 1. Defaults. `await using` closes the connection when the block is left (even on error).
  {
    await using connection = await open(url);
    describe('1. open()', connection);
  }

  // 2. A URL. Query parameters tune the connection (per the RabbitMQ URI spec).
  {
    const withQuery = `${url ?? 'amqp://guest:guest@localhost:5672'}${url?.includes('?') ? '&' : '?'}heartbeat=10&channel_max=100`;
    await using connection = await open(withQuery);
    describe(`2. open('${redactUrl(withQuery)}')`, connection);
  }

  // 3. An options object. Besides these: username, password, vhost, hosts (a cluster, tried
  //    in turn), protocol ('0-9-1' | '0-8'), mechanism, tls, reconnect, ...
  {
    const connection = await open({
      url,
      heartbeat: 30,
      frameMax: 65536,
      channelMax: 16,
      locale: 'en_US',
      connectionTimeout: 5000,
      connectionName: 'rx-amqp connect example', // shown in the management UI
      clientProperties: { example: 'connect.ts' },
    });
    describe('3. open({ ...options })', connection);
    await connection.close(); // explicit close instead of `await using`
    console.log(`  closed explicitly; state=${connection.state}`);
  }

  // 4. The Observable. Nothing happens until subscribe; unsubscribing closes gracefully.
  await new Promise<void>((resolve, reject) => {
    const subscription = connect(url).subscribe({
      next: (connection) => {
        describe('4. connect().subscribe()', connection);
        subscription.unsubscribe(); // close: flush, connection.close / close-ok, socket end
        void connection.closed.then((error) => {
          console.log(`  closed by unsubscribing; error=${error ?? 'none'}`);
          resolve();
        });
      },
      error: reject,
    });
  });

  console.log('done: 4 connections opened and closed');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

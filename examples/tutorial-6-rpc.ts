/**
 * RabbitMQ tutorial 6: RPC (a fib server with serveRpc, a client with rpcCall).
 *
 * rpc_server.js answers fib(n) requests from the queue 'rpc_queue'; rpc_client.js sends a
 * request with `replyTo` and `correlationId` and waits for the matching reply.
 * https://www.rabbitmq.com/tutorials/tutorial-six-javascript
 *
 * rx-amqp has both halves: `serveRpc(queue, handler)` consumes requests, publishes each answer
 * to the request's replyTo with its correlationId and acks the request; `rpcCall(channel,
 * queue, request)` is one call over RabbitMQ's direct reply-to (amq.rabbitmq.reply-to: no reply
 * queue to declare), emitting the reply.
 *
 *   npm run example -- tutorial-6-rpc [--n 30] [--calls 10]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  concatMap,
  ignoreElements,
  map,
  merge,
  of,
  range,
  ReplaySubject,
  Subject,
  switchMap,
  take,
  takeUntil,
  tap,
  toArray,
} from 'rxjs';
import { connect, declareQueue, openChannel, rpcCall, serveRpc } from 'rx-amqp';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.AMQP_URL },
    n: { type: 'string', default: '30' }, // the last call asks for fib(n)
    calls: { type: 'string', default: '5' },
  },
});
const n = Number(values.n);
const calls = Number(values.calls);
const queue = `rpc_queue.${randomBytes(4).toString('hex')}`;

function fib(k: number): number {
  return k < 2 ? k : fib(k - 1) + fib(k - 2); // the tutorial's deliberately slow version
}

const serverReady = new ReplaySubject<void>(1);
const clientDone = new Subject<void>();

// rpc_server.js: prefetch 1 spreads load over several servers; serveRpc acks after answering.
const server$ = connect(values.url).pipe(
  openChannel({ prefetch: 1 }),
  declareQueue(queue, { autoDelete: true }), // deleted once the server stops consuming
  tap(() => {
    console.log(` [x] Awaiting RPC requests on ${queue}`);
    serverReady.next();
  }),
  serveRpc(queue, (request) => {
    const k = Number(request.text);
    console.log(` [.] fib(${k})`);
    return of(String(fib(k)));
  }),
  takeUntil(clientDone),
);

// rpc_client.js: calls one after another (concatMap); mergeMap would run them concurrently.
const ns = Array.from({ length: calls }, (_, i) => Math.round((n * (i + 1)) / calls));
const client$ = serverReady.pipe(
  take(1),
  switchMap(() => connect(values.url).pipe(openChannel())),
  switchMap((channel) =>
    range(0, calls).pipe(
      map((i) => ns[i]),
      concatMap((k) => {
        console.log(` [x] Requesting fib(${k})`);
        return rpcCall(channel, queue, String(k), { timeout: 10000 }).pipe(
          map((reply) => [k, Number(reply.text)] as const),
        );
      }),
      tap(([k, value]) => console.log(` [.] Got fib(${k}) = ${value}`)),
      toArray(),
    ),
  ),
  take(1), // all answers: unsubscribe, which closes the client's connection
  tap({ finalize: () => clientDone.next() }), // and stop the server
);

merge(server$.pipe(ignoreElements()), client$).subscribe({
  next: (value) => {
    const wrong = value.filter(([k, v]) => fib(k) !== v);
    console.log(`done: ${value.length} calls answered, ${wrong.length} wrong`);
  },
  error: (e) => {
    console.error(e);
    process.exitCode = 1;
  },
});

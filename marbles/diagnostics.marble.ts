import * as dc from 'node:diagnostics_channel';
import { TestScheduler } from 'rxjs/testing';
import { map, mergeMap, NEVER, of, switchMap, throwError, type Observable } from 'rxjs';
import {
  ackAfter,
  connect,
  CONNECTION_CHANNEL,
  Message,
  openChannel,
  PROCESS_CHANNEL,
  PUBLISH_CHANNEL,
  PublishNackedError,
  type ConnectionEvent,
  type ProcessContext,
  type PublishContext,
} from 'rx-amqp';
import { delivery, fakeServer, methodFrame } from 'rx-amqp/testing';

function testScheduler() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

type Kind = 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error';
const KINDS: Kind[] = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'];

/** Records `[frame, event, detail]` of a TracingChannel while `body` runs. */
function recording<C extends object>(
  name: string,
  now: () => number,
  detail: (ctx: C) => string,
  body: () => void,
): Array<[number, Kind, string]> {
  const log: Array<[number, Kind, string]> = [];
  const tc = dc.tracingChannel<unknown, C>(name);
  const handlers = Object.fromEntries(
    KINDS.map((k) => [k, (ctx: C) => log.push([now(), k, detail(ctx)])]),
  ) as unknown as dc.TracingChannelSubscribers<C>;
  tc.subscribe(handlers);
  try {
    body();
  } finally {
    tc.unsubscribe(handlers);
  }
  return log;
}

describe('rx-amqp:process events (marbles)', () => {
  const text = (ctx: ProcessContext) =>
    ctx.error
      ? `${ctx.delivery.text}!${(ctx.error as Error).message}`
      : ctx.abandoned
        ? `${ctx.delivery.text} abandoned`
        : ctx.delivery.text;

  it('start and end around the handler call, asyncStart/asyncEnd when it completes', () => {
    const ts = testScheduler();
    const log = recording<ProcessContext>(
      PROCESS_CHANNEL,
      () => ts.now(),
      text,
      () =>
        ts.run(({ cold, hot, expectObservable }) => {
          const deliveries = hot('a---b-----|', { a: delivery('a'), b: delivery('b') });
          expectObservable(deliveries.pipe(ackAfter((d) => cold('--x|', { x: d.text })))).toBe('---a---b--|');
        }),
    );
    expect(log).toEqual([
      [0, 'start', 'a'],
      [0, 'end', 'a'],
      [3, 'asyncStart', 'a'],
      [3, 'asyncEnd', 'a'],
      [4, 'start', 'b'],
      [4, 'end', 'b'],
      [7, 'asyncStart', 'b'],
      [7, 'asyncEnd', 'b'],
    ]);
  });

  it('a failing handler: error, then asyncStart/asyncEnd; a synchronous throw too, after end', () => {
    const ts = testScheduler();
    const log = recording<ProcessContext>(
      PROCESS_CHANNEL,
      () => ts.now(),
      text,
      () =>
        ts.run(({ cold, hot, expectObservable }) => {
          const deliveries = hot('a--b--|', { a: delivery('a'), b: delivery('b') });
          const handler = (d: Message): Observable<string> => {
            if (d.text === 'b') throw new Error('sync');
            return cold('-#', undefined, new Error('async'));
          };
          expectObservable(deliveries.pipe(ackAfter(handler, { onError: 'reject' }))).toBe('------|');
        }),
    );
    expect(log).toEqual([
      [0, 'start', 'a'],
      [0, 'end', 'a'],
      [1, 'error', 'a!async'],
      [1, 'asyncStart', 'a!async'],
      [1, 'asyncEnd', 'a!async'],
      [3, 'start', 'b'],
      [3, 'end', 'b'],
      [3, 'error', 'b!sync'],
      [3, 'asyncStart', 'b!sync'],
      [3, 'asyncEnd', 'b!sync'],
    ]);
  });

  it('a handler that completes synchronously still reports end before asyncStart/asyncEnd', () => {
    const ts = testScheduler();
    const log = recording<ProcessContext>(
      PROCESS_CHANNEL,
      () => ts.now(),
      text,
      () =>
        ts.run(({ hot, expectObservable }) => {
          expectObservable(hot('a|', { a: delivery('a') }).pipe(ackAfter((d) => of(d.text)))).toBe('a|');
        }),
    );
    expect(log.map(([, k]) => k)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
  });

  it('an unsubscribe while the handler runs ends it as abandoned', () => {
    const ts = testScheduler();
    const log = recording<ProcessContext>(
      PROCESS_CHANNEL,
      () => ts.now(),
      text,
      () =>
        ts.run(({ hot, expectObservable }) => {
          expectObservable(hot('a', { a: delivery('a') }).pipe(ackAfter(() => NEVER)), '^--!').toBe('---');
        }),
    );
    expect(log).toEqual([
      [0, 'start', 'a'],
      [0, 'end', 'a'],
      [3, 'asyncStart', 'a abandoned'],
      [3, 'asyncEnd', 'a abandoned'],
    ]);
  });

  it('runs the handler through runWith when a start subscriber sets it', () => {
    const seen: string[] = [];
    const start = (message: unknown) => {
      (message as ProcessContext).runWith = (invoke) => {
        seen.push('before');
        invoke();
        seen.push('after');
      };
    };
    dc.subscribe(`tracing:${PROCESS_CHANNEL}:start`, start);
    try {
      testScheduler().run(({ hot, expectObservable }) => {
        const handler = (d: Message) => {
          seen.push(`handler ${d.text}`);
          return of(d.text);
        };
        expectObservable(hot('a|', { a: delivery('a') }).pipe(ackAfter(handler))).toBe('a|');
      });
    } finally {
      dc.unsubscribe(`tracing:${PROCESS_CHANNEL}:start`, start);
    }
    expect(seen).toEqual(['before', 'handler a', 'after']);
  });

  it('with nobody subscribed, a throwing handler is still one failed delivery', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const d = delivery('a');
      const handler = (x: Message): Observable<never> => {
        if (x.text === 'a') throw new Error('sync');
        return throwError(() => new Error('async'));
      };
      expectObservable(hot('a|', { a: d }).pipe(ackAfter(handler, { onError: 'reject' }))).toBe('-|');
    });
  });
});

describe('rx-amqp:publish events (marbles, fake server)', () => {
  const text = (ctx: PublishContext) =>
    `${ctx.message.text}${ctx.sequence ? `#${ctx.sequence}` : ''}${ctx.error ? ` ${(ctx.error as Error).name}` : ''}${ctx.confirmed ? ' confirmed' : ''}`;

  it('confirm mode: start, end on the write; error/asyncStart/asyncEnd when the ack or nack arrives', () => {
    const ts = testScheduler();
    const server = fakeServer({
      handlers: {
        'confirm.select': (m, s) => s.send(methodFrame(m.channel, 'confirm.select-ok', {})),
      },
    });
    const log = recording<PublishContext>(
      PUBLISH_CHANNEL,
      () => ts.now(),
      text,
      () =>
        ts.run(({ cold, expectObservable }) => {
          let acks = 0;
          server.handle('basic.publish', (m, s) => {
            const tag = ++acks;
            // the broker acks the first 3 frames later and nacks the second 5 frames later
            cold(tag === 1 ? '---x' : '-----x').subscribe(() =>
              s.send(
                methodFrame(m.channel, tag === 1 ? 'basic.ack' : 'basic.nack', { deliveryTag: tag, multiple: false }),
              ),
            );
          });
          const results = connect({ transport: server.transport }).pipe(
            openChannel({ confirm: true }),
            switchMap((ch) => cold('a-b|').pipe(mergeMap((body) => ch.publish(new Message(body), 'x', 'k')))),
            map((r) => `${r.sequence}`),
          );
          expectObservable(results, '^ 20ms !').toBe('---1---#', undefined, expect.any(PublishNackedError));
        }),
    );
    expect(log).toEqual([
      [expect.any(Number), 'start', 'a'],
      [expect.any(Number), 'end', 'a#1'],
      [expect.any(Number), 'start', 'b'],
      [expect.any(Number), 'end', 'b#2'],
      [expect.any(Number), 'asyncStart', 'a#1 confirmed'],
      [expect.any(Number), 'asyncEnd', 'a#1 confirmed'],
      [expect.any(Number), 'error', 'b#2 PublishNackedError'],
      [expect.any(Number), 'asyncStart', 'b#2 PublishNackedError'],
      [expect.any(Number), 'asyncEnd', 'b#2 PublishNackedError'],
    ]);
    const frames = log.map(([f]) => f);
    expect(frames[1]).toBe(frames[0]); // end in the same frame as start
    expect(frames[4] - frames[0]).toBe(3); // settled when the ack arrived
    expect(frames[6] - frames[2]).toBe(5);
  });

  it("a header a start subscriber adds is encoded; the caller's Message is untouched", () => {
    const server = fakeServer();
    const original = new Message('hi', { headers: { mine: 1 } });
    const start = (message: unknown) => {
      (message as PublishContext).message.properties.headers!['x-added'] = 'yes';
    };
    dc.subscribe(`tracing:${PUBLISH_CHANNEL}:start`, start);
    try {
      testScheduler().run(({ expectObservable }) => {
        const sent = connect({ transport: server.transport }).pipe(
          openChannel(),
          switchMap((ch) => ch.publish(original, '', 'q')),
          map((r) => `${r.confirmed}`),
        );
        expectObservable(sent, '^ 10ms !').toBe('a', { a: 'false' });
      });
    } finally {
      dc.unsubscribe(`tracing:${PUBLISH_CHANNEL}:start`, start);
    }
    const publish = server.received.find((m) => m.name === 'basic.publish')!;
    expect(publish.properties?.headers).toEqual({ mine: 1, 'x-added': 'yes' });
    expect(original.properties.headers).toEqual({ mine: 1 });
  });
});

describe('rx-amqp:connection events (marbles, fake server)', () => {
  it('open, blocked, unblocked (with how long, in scheduler time), reconnect with the error, open again', () => {
    const ts = testScheduler();
    const events: Array<[number, string]> = [];
    const listener = (message: unknown) => {
      const e = message as ConnectionEvent;
      const detail =
        e.event === 'open'
          ? `reconnected=${e.reconnected}`
          : e.event === 'unblocked'
            ? `${e.blockedMs}ms`
            : e.event === 'blocked'
              ? e.reason
              : e.event === 'reconnect'
                ? `${e.error.name} retryIn=${e.retryIn}`
                : '';
      events.push([ts.now(), `${e.event} ${detail}`.trim()]);
    };
    dc.subscribe(CONNECTION_CHANNEL, listener);
    try {
      ts.run(({ cold, expectObservable }) => {
        const server = fakeServer();
        cold('-----b----u-----d').subscribe((k) => {
          if (k === 'b') server.send(methodFrame(0, 'connection.blocked', { reason: 'low on memory' }));
          else if (k === 'u') server.send(methodFrame(0, 'connection.unblocked', {}));
          else server.drop();
        });
        const connection$ = connect({ transport: server.transport, reconnect: { initialDelay: 100, jitter: 0 } }).pipe(
          map(() => 'c'),
        );
        expectObservable(connection$, '^ 200ms !').toBe('c 115ms c');
      });
    } finally {
      dc.unsubscribe(CONNECTION_CHANNEL, listener);
    }
    expect(events).toEqual([
      [0, 'connecting'],
      [0, 'open reconnected=false'],
      [5, 'blocked low on memory'],
      [10, 'unblocked 5ms'],
      [16, 'reconnect ConnectionLostError retryIn=100'],
      [116, 'connecting'],
      [116, 'open reconnected=true'],
    ]);
  });
});

/**
 * publishTo's window as a pure state machine (lib/operators/publish-window.ts), driven
 * directly, without a channel or a scheduler: table tests of one behaviour each, then a
 * fast-check property over random event sequences.
 */
import fc from 'fast-check';
import { MessageReturnedError, Message, PublishNackedError, type PublishToResult } from 'rx-amqp';
import { PublishEntry, type EntryOwner } from '../../lib/operators/publish-entry';
import { PublishWindow, type WindowSettings, type WindowSink } from '../../lib/operators/publish-window';
import { RingBuffer } from '../../lib/operators/ring-buffer';

const defaults: WindowSettings = {
  window: 1000,
  ordered: true,
  republish: true,
  maxBuffered: Infinity,
  failOnOverflow: false,
  timeout: 0,
};

/** A window with a recording sink, and the operator's side of it played by hand. */
class Bench implements WindowSink<string>, EntryOwner<string> {
  readonly log: string[] = [];
  readonly results: PublishToResult<string>[] = [];
  readonly entries = new Map<string, PublishEntry<string>>();
  readonly window: PublishWindow<string>;
  completed = false;
  failure: Error | undefined;
  private sequence = 0;

  constructor(readonly settings: WindowSettings) {
    this.window = new PublishWindow(settings, this);
  }

  result(r: PublishToResult<string>): void {
    this.results.push(r);
    this.log.push(`${r.value}:${r.status}${r.error ? `:${r.error.name}` : ''}`);
  }
  complete(): void {
    this.completed = true;
    this.log.push('complete');
  }
  error(e: Error): void {
    this.failure = e;
    this.log.push(`error:${e.name}`);
  }
  confirmed(entry: PublishEntry<string>): void {
    this.window.confirmed(entry);
  }
  rejected(entry: PublishEntry<string>, e: Error): void {
    this.window.rejected(entry, e);
  }

  /** An input arrives (its deadline `now + timeout` when there is a timeout). */
  input(value: string, now = 0): boolean {
    const entry = new PublishEntry<string>(this, value, new Message(value), 'ex', 'rk', false);
    if (this.settings.timeout > 0) entry.deadline = now + this.settings.timeout;
    this.entries.set(value, entry);
    return this.window.add(entry);
  }

  /** An input whose routing-key function or toMessage threw. */
  badInput(value: string): void {
    const entry = new PublishEntry<string>(this, value, undefined, 'ex', '', false);
    this.entries.set(value, entry);
    this.window.failInput(entry, new TypeError(`no key for ${value}`));
  }

  /** Publishes what the window hands out, at most `limit`; the publish number `throwAt` throws. */
  pump(limit = Infinity, throwAt = -1): PublishEntry<string>[] {
    const out: PublishEntry<string>[] = [];
    let n = 0;
    for (let e = this.window.next(); e !== null && n < limit; e = this.window.next(), n++) {
      if (n === throwAt) {
        this.log.push(`publish ${e.value} throws`);
        this.window.publishFailed(e, new RangeError('cannot encode'));
        continue;
      }
      this.window.published(e, ++this.sequence);
      this.log.push(`publish ${e.value}`);
      out.push(e);
    }
    return out;
  }

  /** Plays a script: one event per string. */
  play(script: string[]): string[] {
    for (const step of script) {
      const [verb, arg] = step.split(' ');
      const entry = () => this.entries.get(arg)!;
      if (verb.startsWith('+')) this.input(verb.slice(1), Number(arg ?? 0));
      else if (verb.startsWith('!')) this.badInput(verb.slice(1));
      else if (verb === '>') this.pump(arg === undefined ? Infinity : Number(arg));
      else if (verb === '>x') this.pump(Infinity, 0);
      else if (verb === 'ack') entry().resolve();
      else if (verb === 'nack') entry().reject(new PublishNackedError(entry().sequence));
      else if (verb === 'return') entry().reject(new MessageReturnedError(312, 'NO_ROUTE', 'ex', 'rk'));
      else if (verb === 'sent') this.window.settleSent();
      else if (verb === 'lost') this.window.lost(new Error('channel lost'));
      else if (verb === 'end') this.window.sourceComplete();
      else if (verb === 'stop') this.window.stop();
      else if (verb === 'expire') {
        const next = this.window.expire(Number(arg));
        if (next > 0) this.log.push(`arm ${next}`);
      } else throw new Error(`unknown step ${step}`);
    }
    return this.log;
  }
}

const play = (settings: Partial<WindowSettings>, script: string[]) =>
  new Bench({ ...defaults, ...settings }).play(script);

describe('PublishWindow (table)', () => {
  const cases: Array<[string, Partial<WindowSettings>, string[], string[]]> = [
    [
      'ordered: a result waits for the results before it',
      {},
      ['+a', '+b', '>', 'ack b', 'ack a', 'end'],
      ['publish a', 'publish b', 'a:confirmed', 'b:confirmed', 'complete'],
    ],
    [
      'unordered: each result goes out as it settles',
      { ordered: false },
      ['+a', '+b', '>', 'ack b', 'ack a', 'end'],
      ['publish a', 'publish b', 'b:confirmed', 'a:confirmed', 'complete'],
    ],
    [
      'never more than `window` published and unsettled',
      { window: 2 },
      ['+a', '+b', '+c', '>', 'ack a', '>', 'ack b', 'ack c', '>'],
      ['publish a', 'publish b', 'a:confirmed', 'publish c', 'b:confirmed', 'c:confirmed'],
    ],
    [
      'an input whose callback threw gets "failed" in its place and is never published',
      {},
      ['+a', '!b', '+c', '>', 'ack c', 'ack a', 'end'],
      ['publish a', 'publish c', 'a:confirmed', 'b:failed:TypeError', 'c:confirmed', 'complete'],
    ],
    [
      'nack and return become results, not errors',
      { ordered: false },
      ['+a', '+b', '>', 'nack a', 'return b'],
      ['publish a', 'publish b', 'a:nacked:PublishNackedError', 'b:returned:MessageReturnedError'],
    ],
    [
      'outside confirm mode what was written is "sent"',
      {},
      ['+a', '+b', '>', 'sent', '+c', 'sent', 'end', '>', 'sent'],
      ['publish a', 'publish b', 'a:sent', 'b:sent', 'publish c', 'c:sent', 'complete'],
    ],
    [
      'completes only once every input has its result',
      {},
      ['+a', 'end', '>', 'ack a', '+b', '>'],
      ['publish a', 'a:confirmed', 'complete'],
    ],
    [
      'a publish that throws fails that input; the stream still completes',
      {},
      ['+a', 'end', '>x'],
      ['publish a throws', 'a:failed:RangeError', 'complete'],
    ],
    [
      "overflow 'error': the input beyond maxBuffered errors the window, nothing more happens",
      { maxBuffered: 1 },
      ['+a', '+b', '>', 'ack a', 'end'],
      ['error:PublishOverflowError'],
    ],
    [
      "overflow 'fail': that input fails at once, in its place; the rest goes on",
      { maxBuffered: 1, failOnOverflow: true },
      ['+a', '+b', '>', '+c', '>', 'ack a', 'ack c'],
      ['publish a', 'publish c', 'a:confirmed', 'b:failed:PublishOverflowError', 'c:confirmed'],
    ],
    [
      'a timed-out input still waiting is never published; the next deadline is armed',
      { timeout: 5 },
      ['+a 0', '+b 3', 'expire 5', '>', 'ack b'],
      ['a:failed:PublishTimeoutError', 'arm 8', 'publish b', 'b:confirmed'],
    ],
    [
      'a published input times out; its late confirm is dropped and it frees the window',
      { timeout: 5, window: 1 },
      ['+a 0', '+b 1', '>', 'expire 5', '>', 'ack a', 'ack b'],
      ['publish a', 'a:failed:PublishTimeoutError', 'arm 6', 'publish b', 'b:confirmed'],
    ],
    [
      'channel loss with republish: the unsettled go back in line, in order',
      { window: 2 },
      ['+a', '+b', '+c', '>', 'ack a', 'lost', '>', 'ack b', 'ack c'],
      ['publish a', 'publish b', 'a:confirmed', 'publish b', 'publish c', 'b:confirmed', 'c:confirmed'],
    ],
    [
      'channel loss without republish: the unsettled fail with the loss',
      { republish: false },
      ['+a', '+b', '>', '+c', 'lost', '>', 'ack c'],
      ['publish a', 'publish b', 'a:failed:Error', 'b:failed:Error', 'publish c', 'c:confirmed'],
    ],
    [
      'after stop nothing is handed out or emitted, late confirms included',
      {},
      ['+a', '+b', '> 1', 'stop', 'ack a', '>', '+c', 'end', 'expire 100'],
      ['publish a'],
    ],
  ];
  it.each(cases)('%s', (_name, settings, script, expected) => {
    expect(play(settings, script)).toEqual(expected);
  });

  it('counts what waits and what is in flight', () => {
    const b = new Bench({ ...defaults, window: 2 });
    b.play(['+a', '+b', '+c']);
    expect([b.window.waiting, b.window.inFlight]).toEqual([3, 0]);
    b.play(['>']);
    expect([b.window.waiting, b.window.inFlight]).toEqual([1, 2]);
    b.play(['lost']);
    expect([b.window.waiting, b.window.inFlight]).toEqual([1, 0]); // republished inputs are not counted
    b.play(['>', 'ack a', 'ack b', '>', 'ack c']);
    expect([b.window.waiting, b.window.inFlight]).toEqual([0, 0]);
    expect(b.results.map((r) => [r.value, r.attempts])).toEqual([
      ['a', 2],
      ['b', 2],
      ['c', 1],
    ]);
  });

  it('results carry what the input was published with', () => {
    const b = new Bench(defaults);
    b.play(['+a', '>', 'ack a', '!b']);
    expect(b.results[0]).toMatchObject({
      value: 'a',
      exchange: 'ex',
      routingKey: 'rk',
      sequence: 1,
      confirmed: true,
      status: 'confirmed',
      ok: true,
      error: undefined,
      attempts: 1,
    });
    expect(b.results[0].message?.text).toBe('a');
    expect(b.results[1]).toMatchObject({ value: 'b', routingKey: '', status: 'failed', ok: false, message: undefined });
  });
});

type Command =
  | { t: 'input'; bad: boolean }
  | { t: 'pump'; limit: number; throwAt: number }
  | { t: 'answer'; pick: number; how: 'ack' | 'nack' | 'return' | 'fail' }
  | { t: 'sent' }
  | { t: 'tick'; dt: number }
  | { t: 'lost' }
  | { t: 'complete' }
  | { t: 'stop' };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.boolean().map((bad) => ({ t: 'input' as const, bad })) },
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('pump' as const),
      limit: fc.integer({ min: 1, max: 5 }),
      throwAt: fc.option(fc.nat(4), { freq: 5, nil: -1 }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('answer' as const),
      pick: fc.nat(7),
      how: fc.constantFrom('ack' as const, 'ack' as const, 'nack' as const, 'return' as const, 'fail' as const),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ t: 'sent' as const }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('tick' as const), dt: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'lost' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'complete' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'stop' as const }) },
);

const settings: fc.Arbitrary<WindowSettings & { confirm: boolean }> = fc.record({
  window: fc.integer({ min: 1, max: 4 }),
  ordered: fc.boolean(),
  republish: fc.boolean(),
  maxBuffered: fc.option(fc.integer({ min: 0, max: 4 }), { freq: 2, nil: Infinity }),
  failOnOverflow: fc.boolean(),
  timeout: fc.option(fc.integer({ min: 1, max: 10 }), { freq: 2, nil: 0 }),
  confirm: fc.boolean(),
});

/**
 * Plays `commands` on a window as the operator would, with a model of the channel (which
 * publishes await the broker's answer) and of the deadline timer, then drains it if it is still
 * running. Throws at the first broken promise.
 */
function check(config: WindowSettings & { confirm: boolean }, commands: Command[]): void {
  const problems: string[] = [];
  let closed = false; // the window was stopped, errored or completed: nothing may follow
  const sink = new (class extends Bench {
    override result(r: PublishToResult<string>): void {
      if (closed) problems.push(`result of ${r.value} after the window closed`);
      if (this.results.some((x) => x.value === r.value)) problems.push(`a second result for ${r.value}`);
      const last = this.results.at(-1);
      if (config.ordered && last && Number(last.value) > Number(r.value))
        problems.push(`ordered: ${r.value} after ${last.value}`);
      super.result(r);
    }
    override complete(): void {
      if (closed) problems.push('complete after the window closed');
      if (this.results.length !== this.entries.size)
        problems.push(`completed with ${this.results.length} results for ${this.entries.size} inputs`);
      closed = true;
      super.complete();
    }
    override error(e: Error): void {
      if (closed) problems.push('error after the window closed');
      if (e.name !== 'PublishOverflowError' || config.failOnOverflow) problems.push(`unexpected error ${e.name}`);
      closed = true;
      super.error(e);
    }
  })(config);
  const w = sink.window;
  const answered = new Map<string, string>(); // how the broker answered each input's last publish
  let live: PublishEntry<string>[] = []; // published on the current channel, awaiting the broker's answer
  let current = new Set<PublishEntry<string>>(); // published on the current channel
  const accepted: PublishEntry<string>[] = []; // inputs the window took in to publish
  const publishedOnce = new Set<PublishEntry<string>>();
  let now = 0;
  let armed = 0;
  const arm = (deadline: number) => {
    if (armed === 0 || deadline < armed) armed = deadline;
  };
  const pump = (limit: number, throwAt: number) => {
    for (const e of sink.pump(limit, throwAt)) {
      if (closed) problems.push(`${e.value} published after the window closed`);
      current.add(e);
      publishedOnce.add(e);
      if (config.confirm) live.push(e);
    }
  };
  const invariants = () => {
    if (w.stopped) return; // its counters stay as they were
    const inFlight = [...current].filter((e) => e.result === null).length;
    if (w.inFlight !== inFlight) problems.push(`inFlight ${w.inFlight}, expected ${inFlight}`);
    const waiting = accepted.filter((e) => !publishedOnce.has(e) && e.result === null).length;
    if (w.waiting !== waiting) problems.push(`waiting ${w.waiting}, expected ${waiting}`);
    if (w.inFlight > config.window) problems.push(`${w.inFlight} in flight with window ${config.window}`);
    if (w.waiting > config.maxBuffered) problems.push(`${w.waiting} waiting with maxBuffered ${config.maxBuffered}`);
  };

  const run = (c: Command) => {
    switch (c.t) {
      case 'input': {
        const value = String(sink.entries.size);
        if (c.bad) sink.badInput(value);
        else if (sink.input(value, now)) {
          accepted.push(sink.entries.get(value)!);
          if (config.timeout > 0) arm(now + config.timeout);
        }
        break;
      }
      case 'pump':
        pump(c.limit, c.throwAt);
        break;
      case 'answer': {
        if (live.length === 0) break;
        const [e] = live.splice(c.pick % live.length, 1);
        answered.set(e.value, c.how);
        if (c.how === 'ack') e.resolve();
        else if (c.how === 'nack') e.reject(new PublishNackedError(e.sequence));
        else if (c.how === 'return') e.reject(new MessageReturnedError(312, 'NO_ROUTE', 'ex', 'rk'));
        else e.reject(new Error('channel error'));
        break;
      }
      case 'sent':
        if (!config.confirm) w.settleSent();
        break;
      case 'tick': {
        now += c.dt;
        if (armed === 0 || armed > now) break;
        armed = 0;
        const next = w.expire(now);
        if (next > 0) arm(next);
        break;
      }
      case 'lost':
        live = []; // the old channel's answers are the operator's to drop
        current = new Set();
        w.lost(new Error('channel lost'));
        break;
      case 'complete':
        w.sourceComplete();
        break;
      case 'stop':
        w.stop();
        closed = true;
        break;
    }
    invariants();
  };

  for (const c of commands) run(c);
  // Drain: the source completes, the channel takes everything, the broker confirms everything.
  if (!closed) {
    w.sourceComplete();
    for (let round = 0; round <= sink.entries.size + 1 && !closed; round++) {
      pump(Infinity, -1);
      if (!config.confirm) w.settleSent();
      for (const e of live.splice(0)) {
        answered.set(e.value, 'ack');
        e.resolve();
      }
      invariants();
    }
    if (!sink.completed) problems.push('did not complete once everything was settled');
  }
  for (const r of sink.results) {
    const how = answered.get(r.value);
    const expected: Record<string, string | undefined> = {
      confirmed: 'ack',
      nacked: 'nack',
      returned: 'return',
    };
    if (r.status in expected && how !== expected[r.status])
      problems.push(`${r.value} ${r.status} though answered ${how}`);
    if (r.status === 'sent' && config.confirm) problems.push(`${r.value} sent in confirm mode`);
    if (r.status === 'failed' && !(r.error instanceof Error)) problems.push(`${r.value} failed without an error`);
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
}

describe('PublishWindow (property)', () => {
  it('one result per input, in order when ordered; the window and maxBuffered hold; nothing after it closed', () => {
    fc.assert(
      fc.property(settings, fc.array(command, { maxLength: 40 }), (config, commands) => check(config, commands)),
      { numRuns: 500 },
    );
  });
});

describe('RingBuffer (property)', () => {
  it('keeps every element at its position while it grows and shrinks', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -40, max: 60 }), { maxLength: 60 }), (ops) => {
        const ring = new RingBuffer<number>();
        const model: number[] = [];
        let shifted = 0;
        let pushed = 0;
        for (const op of ops) {
          if (op >= 0)
            for (let i = 0; i < op; i++) {
              ring.push(pushed);
              model.push(pushed++);
            }
          else
            for (let i = 0; i < -op && model.length > 0; i++) {
              ring.shift();
              model.shift();
              shifted++;
            }
          expect([ring.head, ring.tail, ring.size]).toEqual([shifted, pushed, model.length]);
          for (let p = ring.head; p < ring.tail; p++) expect(ring.at(p)).toBe(model[p - shifted]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('keeps every element at its position through bursts that grow it past its kept capacity and drain it', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5000, max: 5000 }), { maxLength: 12 }), (ops) => {
        const ring = new RingBuffer<number>();
        let shifted = 0;
        let pushed = 0;
        for (const op of ops) {
          for (let i = 0; i < op; i++) ring.push(pushed++);
          for (let i = 0; i < -op && shifted < pushed; i++) {
            if (ring.at(ring.head) !== shifted) throw new Error(`head holds ${ring.at(ring.head)}, not ${shifted}`);
            ring.shift();
            shifted++;
          }
          if (ring.head !== shifted || ring.tail !== pushed || ring.size !== pushed - shifted) {
            throw new Error(`head ${ring.head} tail ${ring.tail} size ${ring.size}; expected ${shifted} ${pushed}`);
          }
          for (let p = shifted; p < pushed; p++) {
            if (ring.at(p) !== p) throw new Error(`position ${p} holds ${ring.at(p)}`);
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});

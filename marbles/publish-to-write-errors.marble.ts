import { TestScheduler } from 'rxjs/testing';
import { map, of } from 'rxjs';
import { publishTo, Message } from 'rx-amqp';
import { fakeChannel } from 'rx-amqp/testing';

function scheduler() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** A message whose content header exceeds frame_max (the fake's 131072): its write throws. */
const unwritable = (text: string) => new Message(text, { headers: { big: 'x'.repeat(140_000) } });

describe('publishTo: a message the channel cannot write fails that input only (marbles)', () => {
  for (const confirm of [true, false]) {
    for (const ordered of [true, false]) {
      it(`its one result is "failed", in its place, and the stream completes (${confirm ? 'confirms' : 'no confirms'}, ${ordered ? 'ordered' : 'unordered'})`, () => {
        const published: string[] = [];
        scheduler().run(({ expectObservable }) => {
          const ch = fakeChannel();
          ch.published$.subscribe((p) => published.push(p.message.text));
          const results = of('a', 'big', 'c').pipe(
            publishTo(ch, '', 'q', {
              confirm,
              ordered,
              toMessage: (v) => (v === 'big' ? unwritable(v) : new Message(v)),
            }),
            map((r) => `${r.value}:${r.status}${r.error ? `:${r.error.name}` : ''}`),
          );
          const ok = confirm ? 'confirmed' : 'sent';
          const values = { a: `a:${ok}`, b: 'big:failed:EncodeError', c: `c:${ok}` };
          expectObservable(results).toBe(ordered ? '(abc|)' : '(bac|)', values);
        });
        expect(published).toEqual(['a', 'c']);
      });
    }
  }

  it('when every write fails the stream still completes with one result each', () => {
    scheduler().run(({ expectObservable }) => {
      const ch = fakeChannel();
      const results = of('a', 'b').pipe(
        publishTo(ch, '', 'q', { confirm: true, toMessage: unwritable }),
        map((r) => r.status),
      );
      expectObservable(results).toBe('(ab|)', { a: 'failed', b: 'failed' });
    });
  });
});

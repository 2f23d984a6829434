/**
 * The pipeline of examples/joining-streams.ts on a fake channel: readings joined with the
 * latest config, windows per sensor and config, one summary per window, the window's readings
 * acked only after its summary is confirmed (nacked when the broker refuses it).
 */
import { map, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { delivery, fakeChannel } from 'rx-amqp/testing';
import { summarize, type Config, type Summary } from '../../examples/joining-streams';

describe('examples/joining-streams: summarize (marbles)', () => {
  it('summarises each window of a sensor with the config of its readings, and acks its readings after the confirm', () => {
    const s = new TestScheduler((a, e) => expect(a).toEqual(e));
    const settled: string[] = [];
    s.run(({ cold, expectObservable }) => {
      const reading = (sensor: string, celsius: number) =>
        delivery(String(celsius), { routingKey: `sensor.${sensor}` });
      const ch = fakeChannel({
        queues: {
          readings: cold('-abc----de', {
            a: reading('a', 20),
            b: reading('b', 21),
            c: reading('a', 22),
            d: reading('a', 10),
            e: reading('b', 0),
          }),
        },
        // The broker refuses sensor b's second summary.
        confirm: (p) =>
          p.message.text.includes('"sensor":"sensor.b"') && p.message.text.includes('"configVersion":2')
            ? 'nack'
            : 'ack',
      });
      ch.methods$.subscribe(({ name, args }) => {
        if (name === 'basic.ack' || name === 'basic.nack')
          settled.push(`${s.now()}: ${name === 'basic.ack' ? 'ack' : 'nack'} ${String(args.deliveryTag)}`);
      });
      // Celsius at first; Fahrenheit from frame 7 on.
      const config$ = cold<Config>('a------b', { a: { version: 1, unit: '°C' }, b: { version: 2, unit: '°F' } });
      const summaries = summarize(of(ch), {
        readings: 'readings',
        config$,
        window: 5,
        to: 'summaries',
        until: cold('20ms x'),
      });
      // Windows of 5 frames from each group's first reading: sensor a (v1) from 1, b (v1) from
      // 2, a (v2) from 8, b (v2) from 9. The stream ends with the drain at 20.
      expectObservable(summaries).toBe('6ms a b 5ms c 6ms |', {
        a: { sensor: 'sensor.a', count: 2, mean: 21, min: 20, max: 22, unit: '°C', configVersion: 1 } satisfies Summary,
        b: { sensor: 'sensor.b', count: 1, mean: 21, min: 21, max: 21, unit: '°C', configVersion: 1 },
        c: { sensor: 'sensor.a', count: 1, mean: 50, min: 50, max: 50, unit: '°F', configVersion: 2 },
      });
      expectObservable(ch.published$.pipe(map((p) => p.routingKey))).toBe('6ms a b 5ms a c', {
        a: 'summary.sensor.a',
        b: 'summary.sensor.b',
        c: 'summary.sensor.b',
      });
    });
    expect(settled).toEqual(['6: ack 1', '6: ack 3', '7: ack 2', '13: ack 4', '14: nack 5']);
  });
});

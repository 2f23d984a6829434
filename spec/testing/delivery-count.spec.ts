import { Message } from 'rx-amqp';
import { delivery } from 'rx-amqp/testing';

describe('delivery.deliveryCount', () => {
  it('is 0 without an x-delivery-count header (a first delivery, a classic queue)', () => {
    const d = delivery('x');
    expect(d.deliveryCount).toBe(0);
    expect(d.redelivered).toBe(false);
  });

  it('reads the x-delivery-count header, as a number or a 64-bit integer', () => {
    expect(delivery('x', { properties: { headers: { 'x-delivery-count': 3 } } }).deliveryCount).toBe(3);
    expect(delivery('x', { properties: { headers: { 'x-delivery-count': 7n } } }).deliveryCount).toBe(7);
  });

  it('ignores a header that is not a count (a string, a negative number)', () => {
    expect(delivery('x', { properties: { headers: { 'x-delivery-count': '2' } } }).deliveryCount).toBe(0);
    expect(delivery('x', { properties: { headers: { 'x-delivery-count': -1 } } }).deliveryCount).toBe(0);
  });

  it('is set by the delivery() builder field, which also marks the delivery redelivered and keeps other headers', () => {
    const d = delivery(new Message('x', { headers: { a: 1 } }), { deliveryCount: 2 });
    expect(d.deliveryCount).toBe(2);
    expect(d.redelivered).toBe(true);
    expect(d.headers).toEqual({ a: 1, 'x-delivery-count': 2 });
    expect(delivery('x', { deliveryCount: 0 }).redelivered).toBe(false);
    expect(delivery('x', { deliveryCount: 1, redelivered: false }).redelivered).toBe(false);
  });
});

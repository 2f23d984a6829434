import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';
import type { FieldTable } from '../protocol/field-types';

/** Writes W3C trace context (`traceparent`, `tracestate`, baggage) into message headers. */
export const headerSetter: TextMapSetter<FieldTable> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};

/**
 * Reads trace context from message headers. Other clients may send a header as a long string
 * that arrives as bytes (not valid UTF-8 is impossible for a traceparent, but be lenient).
 */
export const headerGetter: TextMapGetter<FieldTable | undefined> = {
  keys(carrier) {
    return carrier ? Object.keys(carrier) : [];
  },
  get(carrier, key) {
    const v = carrier?.[key];
    if (typeof v === 'string') return v;
    if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
    return undefined;
  },
};

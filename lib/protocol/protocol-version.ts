/** The AMQP dialects rx-amqp speaks. */
export type Protocol = '0-9-1' | '0-8';

/** The 8-byte protocol header a client sends first, per dialect. */
export const PROTOCOL_HEADERS: Readonly<Record<Protocol, Uint8Array>> = {
  // "AMQP" 0 0 9 1 (0-9-1 section 4.2.2)
  '0-9-1': Uint8Array.of(0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1),
  // "AMQP" 1 1 8 0: the 0-8 header (class 1, instance 1, version 8.0)
  '0-8': Uint8Array.of(0x41, 0x4d, 0x51, 0x50, 1, 1, 8, 0),
};

/** Whether a value names a supported dialect. */
export function isProtocol(value: unknown): value is Protocol {
  return value === '0-9-1' || value === '0-8';
}

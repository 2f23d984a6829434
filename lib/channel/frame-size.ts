import { EncodeError } from '../protocol/errors';
import type { FrameOutput } from './channel-host';

/**
 * Checks the frame just written to `out` (from `start`) against the negotiated frame_max
 * (`max`; 0: no limit). A method or content header frame cannot be split, and one over
 * frame_max would make the broker close the whole connection (501): the frame is dropped and
 * an EncodeError thrown instead, so only the call that wrote it fails.
 */
export function checkFrameSize(out: FrameOutput, start: number, max: number, what: string): void {
  const size = out.pos - start;
  if (max > 0 && size > max) {
    out.pos = start;
    throw new EncodeError(`${what} frame of ${size} bytes exceeds frame_max ${max}; a ${what} frame cannot be split`);
  }
}

import { Observable, type OperatorFunction } from 'rxjs';
import { FrameError } from '../protocol/errors';
import { FrameParser, type Frame, type FrameParserOptions } from '../protocol/frame';

/**
 * Turns a stream of byte chunks into a stream of frames. Any chunking of the same bytes gives
 * the same frames; a frame inside one chunk is a zero-copy slice of it. Bad input errors the
 * stream with a typed error (`FrameError` 501 for a bad frame end or a frame over frameMax,
 * `UnexpectedFrameError` 505 for an unknown frame type), as does a source that completes in
 * the middle of a frame.
 */
export function parseFrames(options: FrameParserOptions = {}): OperatorFunction<Uint8Array, Frame> {
  return (source) =>
    new Observable<Frame>((subscriber) => {
      const parser = new FrameParser(options);
      const emit = (frame: Frame) => subscriber.next(frame);
      return source.subscribe({
        next(chunk) {
          try {
            parser.push(chunk, emit);
          } catch (e) {
            subscriber.error(e);
          }
        },
        error: (e) => subscriber.error(e),
        complete() {
          if (parser.pending) subscriber.error(new FrameError('stream ended in the middle of a frame'));
          else subscriber.complete();
        },
      });
    });
}

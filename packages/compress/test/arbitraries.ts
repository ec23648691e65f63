import fc from 'fast-check';
import { PAGE, realPages } from './helpers.js';

/** A 4 KiB page built from segments: random bytes, byte runs, a repeated short pattern, zeros. */
export const mixedPage = fc
  .array(
    fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 300 }),
      fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 2000 })).map(([b, n]) => new Uint8Array(n).fill(b)),
      fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 200 })).map(([pattern, times]) => {
        const out = new Uint8Array(pattern.length * times);
        for (let i = 0; i < times; i++) out.set(pattern, i * pattern.length);
        return out;
      }),
    ),
    { minLength: 1, maxLength: 30 },
  )
  .map((segments) => {
    const page = new Uint8Array(PAGE);
    let at = 0;
    for (const s of segments) {
      if (at >= PAGE) break;
      const part = s.subarray(0, PAGE - at);
      page.set(part, at);
      at += part.length;
    }
    return page;
  });

const real = realPages(96);

/** Random, zero, repetitive, mixed and real-binary pages. */
export const anyPage = fc.oneof(
  fc.uint8Array({ minLength: PAGE, maxLength: PAGE }),
  fc.constant(new Uint8Array(PAGE)),
  fc.integer({ min: 0, max: 255 }).map((b) => new Uint8Array(PAGE).fill(b)),
  mixedPage,
  fc.constantFrom(...real),
);

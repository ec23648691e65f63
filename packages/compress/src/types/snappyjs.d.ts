// snappyjs ships no types; only the two functions we call.
declare module 'snappyjs' {
  /** Raw snappy block (no framing). */
  export function compress(uncompressed: Uint8Array): Uint8Array;
  /** Decodes a raw snappy block; `maxLength` bounds the length preamble. */
  export function uncompress(compressed: Uint8Array, maxLength?: number): Uint8Array;
}

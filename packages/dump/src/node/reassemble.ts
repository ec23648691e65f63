import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { isVmcoreError } from '@vmcore/bytes';
import { FileSink, ioError } from '@vmcore/bytes/node';
import { reassemble } from '../backends.js';

/**
 * `makedumpfile -R`: turns a flattened stream (a path or a Readable such as stdin) into a raw
 * kdump file. The output appears only when the whole stream, end marker included, was applied.
 */
export async function reassembleFlattened(input: string | Readable, output: string, options: { mode?: number } = {}): Promise<void> {
  const sink = await FileSink.create(output, { mode: options.mode ?? 0o644, atomic: true });
  try {
    const stream = typeof input === 'string' ? createReadStream(input, { highWaterMark: 4 << 20 }) : input;
    await reassemble(stream as AsyncIterable<Uint8Array>, sink, typeof input === 'string' ? input : '<stdin>');
    await sink.commit();
  } catch (error) {
    await sink.abort();
    throw isVmcoreError(error) ? error : ioError(`cannot reassemble ${typeof input === 'string' ? input : '<stdin>'}`, error);
  }
}

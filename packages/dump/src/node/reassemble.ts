import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { VmcoreError, VmcoreErrorCode, abortedError, isVmcoreError } from '@vmcore/bytes';
import { FileSink, ioError } from '@vmcore/bytes/node';
// @vmcore/flat directly, not through ../backends.js: `vmcore reassemble` loads no writer or reader.
import { reassemble } from '@vmcore/flat';
import { refuseOverwritingInput } from './same-file.js';

export interface ReassembleFlattenedOptions {
  /** Mode of the created file. Default 0o644. */
  readonly mode?: number;
  /** Stops reading (VMCORE_ABORTED); the temporary file is removed and nothing else is left. */
  readonly signal?: AbortSignal;
}

/**
 * `makedumpfile -R`: turns a flattened stream (a path or a Readable such as stdin) into a raw
 * kdump file. The output appears only when the whole stream, end marker included, was applied;
 * it is refused before anything is written when it is a directory or the input itself.
 */
export async function reassembleFlattened(
  input: string | Readable,
  output: string,
  options: ReassembleFlattenedOptions = {},
): Promise<void> {
  const name = typeof input === 'string' ? input : '<stdin>';
  const existing = await stat(output).catch(() => undefined);
  if (existing?.isDirectory()) {
    throw new VmcoreError(VmcoreErrorCode.Io, `cannot reassemble ${name} into ${output}: ${output} is a directory`);
  }
  if (typeof input === 'string') await refuseOverwritingInput(output, [input]);
  const { signal } = options;
  if (signal?.aborted) throw abortedError(signal, `reassemble ${name}`);
  const sink = await FileSink.create(output, { mode: options.mode ?? 0o644, atomic: true });
  const stream = typeof input === 'string' ? createReadStream(input, { highWaterMark: 4 << 20 }) : input;
  // A pipe that sends nothing would keep the loop waiting for ever: aborting ends the read.
  const onAbort = () => stream.destroy(abortedError(signal!, `reassemble ${name}`));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await reassemble(stream as AsyncIterable<Uint8Array>, sink, { name, ...(signal ? { signal } : {}) });
    await sink.commit();
  } catch (error) {
    await sink.abort();
    if (signal?.aborted) throw abortedError(signal, `reassemble ${name}`);
    throw isVmcoreError(error) ? error : ioError(`cannot reassemble ${name} into ${output}`, error);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

import type { GuestMemory } from '@vmcore/guest-mem';
import { dumpToSink, type DumpOptions, type DumpResult } from '../dump-to-sink.js';
import type { DumpFormat } from '../formats.js';
import { isSeekableOutput, openOutput, type DumpOutput, type OutputOptions } from './output.js';

/** dumpToSink's options plus what a Node output takes (file mode, ending a stream). */
export interface DumpFileOptions extends DumpOptions, OutputOptions {}

/**
 * Writes `guest` as `format` to a path, a Writable or a descriptor, with QEMU's rules (planDump).
 * File outputs appear only when complete (temporary name + rename); on failure nothing is left.
 */
export async function dumpGuest(
  guest: GuestMemory,
  format: DumpFormat | string,
  output: DumpOutput,
  options: DumpFileOptions = {},
): Promise<DumpResult> {
  const { mode, endStream, ...dumpOptions } = options;
  return dumpToSink(
    guest,
    format,
    {
      seekable: await isSeekableOutput(output),
      open: () => openOutput(output, { ...(mode !== undefined ? { mode } : {}), ...(endStream !== undefined ? { endStream } : {}) }),
    },
    dumpOptions,
  );
}

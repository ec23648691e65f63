import type { GuestMemory } from '@vmcore/guest-mem';
import { dumpToSink, type DumpOptions, type DumpResult } from '../dump-to-sink.js';
import type { DumpFormat } from '../formats.js';
import { isSeekableOutput, openOutput, type DumpOutput, type OutputOptions } from './output.js';
import { refuseOverwritingInput } from './same-file.js';

/** dumpToSink's options plus what a Node output takes (file mode, ending a stream). */
export interface DumpFileOptions extends DumpOptions, OutputOptions {
  /**
   * Paths the dump reads from (the input dump, RAM files, notes file): an output that is one of
   * them (same device and inode: hard links and symlinks too) is VMCORE_SAME_FILE, refused
   * after planDump's checks and before anything is created or truncated.
   */
  readonly inputs?: readonly string[];
}

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
  const { mode, endStream, inputs, ...dumpOptions } = options;
  return dumpToSink(
    guest,
    format,
    {
      seekable: await isSeekableOutput(output),
      open: async () => {
        if (inputs?.length) await refuseOverwritingInput(output, inputs);
        return openOutput(output, { ...(mode !== undefined ? { mode } : {}), ...(endStream !== undefined ? { endStream } : {}) });
      },
    },
    dumpOptions,
  );
}

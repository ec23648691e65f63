import { fstat } from 'node:fs';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import type { DumpOutput } from './output.js';

const fstatAsync = promisify(fstat);

type Identity = { dev: number; ino: number };

async function identityOf(target: string | { readonly fd: number }): Promise<Identity | undefined> {
  try {
    const info = typeof target === 'string' ? await stat(target) : await fstatAsync(target.fd);
    // Only regular files and block devices can be both read as a dump and written as one.
    return info.isFile() || info.isBlockDevice() ? { dev: info.dev, ino: info.ino } : undefined;
  } catch {
    return undefined; // an output that does not exist yet is nobody's input
  }
}

/**
 * Refuses an output that is one of the command's inputs: the same file by device and inode, so
 * hard links, symlinks and other spellings of the path are caught, not just an equal string.
 * Checked before anything is created or truncated.
 */
export async function refuseOverwritingInput(output: DumpOutput, inputs: readonly string[]): Promise<void> {
  if (typeof output !== 'string' && !('fd' in output)) return;
  const out = await identityOf(output);
  if (!out) return;
  for (const input of inputs) {
    const id = await identityOf(input);
    if (id && id.dev === out.dev && id.ino === out.ino) {
      const outName = typeof output === 'string' ? output : output.fd === 1 ? 'stdout' : `fd ${output.fd}`;
      const same = typeof output === 'string' && output === input ? `'${input}'` : `'${outName}' is the same file as the input '${input}'`;
      throw new VmcoreError(VmcoreErrorCode.SameFile, `refusing to write over an input: ${same}; choose another output file`);
    }
  }
}

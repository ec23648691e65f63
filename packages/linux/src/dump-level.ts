import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';

/** makedumpfile's dump level bits (makedumpfile.h DL_EXCLUDE_*). */
export const DL_EXCLUDE_ZERO = 1;
export const DL_EXCLUDE_CACHE = 2;
export const DL_EXCLUDE_CACHE_PRI = 4;
export const DL_EXCLUDE_USER_DATA = 8;
export const DL_EXCLUDE_FREE = 16;
export const MAX_DUMP_LEVEL = 31;

/** What each bit leaves out, for messages and `vmcore info`. */
export const DUMP_LEVEL_BITS: ReadonlyArray<readonly [bit: number, what: string]> = [
  [DL_EXCLUDE_ZERO, 'zero pages'],
  [DL_EXCLUDE_CACHE, 'cache pages without private data'],
  [DL_EXCLUDE_CACHE_PRI, 'cache pages with private data'],
  [DL_EXCLUDE_USER_DATA, 'user process data pages'],
  [DL_EXCLUDE_FREE, 'free pages'],
];

export function checkDumpLevel(level: number): number {
  if (!Number.isInteger(level) || level < 0 || level > MAX_DUMP_LEVEL) {
    throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `dump level ${level} is not an integer from 0 to ${MAX_DUMP_LEVEL}`);
  }
  return level;
}

/** "2 (cache pages without private data)", "31 (zero pages, cache pages ..., free pages)". */
export function describeDumpLevel(level: number): string {
  const parts = DUMP_LEVEL_BITS.filter(([bit]) => level & bit).map(([, what]) => what);
  return parts.length ? `${level} (${parts.join(', ')})` : `${level} (nothing left out)`;
}

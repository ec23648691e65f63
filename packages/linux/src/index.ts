export { KernelInfo } from './kernel-info.js';
export { KernelMemory } from './kernel-memory.js';
export type { KernelMemoryOptions } from './kernel-memory.js';
export { kernelTranslator } from './translate.js';
export type { KernelTranslate, KernelTranslation, KernelTranslateOptions } from './translate.js';
export { linuxKernel } from './kernel.js';
export type { LinuxKernel, LinuxKernelOptions } from './kernel.js';
export { readKernelLog } from './kernel-log.js';
export { readPrintkRingbuffer } from './printk-ringbuffer.js';
export { readLogBuf } from './log-buf.js';
export { formatCallerId } from './log-record.js';
export type { KernelLog, KernelLogRecord, KernelLogSource } from './log-record.js';
export { formatDmesg, formatDmesgRecord, dmesgJsonRecord, levelName } from './dmesg-format.js';
export type { DmesgJsonRecord } from './dmesg-format.js';
export { panicSummary } from './panic-summary.js';
export type { PanicSummary } from './panic-summary.js';
export {
  DL_EXCLUDE_ZERO,
  DL_EXCLUDE_CACHE,
  DL_EXCLUDE_CACHE_PRI,
  DL_EXCLUDE_USER_DATA,
  DL_EXCLUDE_FREE,
  MAX_DUMP_LEVEL,
  DUMP_LEVEL_BITS,
  checkDumpLevel,
  describeDumpLevel,
} from './dump-level.js';
export { readMemMap } from './mem-map.js';
export type { MemMapSection } from './mem-map.js';
export { classifyPages } from './page-classify.js';
export type { ClassifyOptions, ExcludedPageCounts, PageExclusion } from './page-classify.js';

export { pagingMappings, guestPagingMappings } from './x86-walk.js';
export type { PagingOptions } from './x86-walk.js';
export { x86PagingCpuFromQemuNote, x86PagingCpusFromNotes, x86LongMode, x86PagingMode } from './x86-cpu.js';
export type { X86PagingCpu, X86PagingMode } from './x86-cpu.js';
export type { ReadPhys } from './phys-reader.js';

import type { Vmcoreinfo } from './vmcoreinfo.js';

/** The kernel's page size from VMCOREINFO PAGESIZE, when it is a power of two from 4 KiB to 1 MiB. */
export function kernelPageSize(info: Vmcoreinfo | undefined): number | undefined {
  const size = info?.pageSize;
  return size !== undefined && size >= 4096 && size <= 1 << 20 && (size & (size - 1)) === 0 ? size : undefined;
}

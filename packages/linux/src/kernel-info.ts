import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import type { Vmcoreinfo } from '@vmcore/vmcoreinfo';

/**
 * Typed access to the VMCOREINFO entries a feature needs. A missing entry is an error that names
 * it exactly as the kernel writes it (`OFFSET(printk_info.ts_nsec)`) and what needed it.
 */
export class KernelInfo {
  constructor(
    readonly vmcoreinfo: Vmcoreinfo,
    /** What the entries are for, used in error messages ("the kernel log", "dump level 2"). */
    readonly purpose: string,
  ) {}

  /** The same entries, needed for something else. */
  for(purpose: string): KernelInfo {
    return new KernelInfo(this.vmcoreinfo, purpose);
  }

  private missing(key: string): VmcoreError {
    return new VmcoreError(VmcoreErrorCode.Unsupported, `VMCOREINFO has no ${key}, which ${this.purpose} needs`);
  }

  symbol(name: string): bigint {
    const v = this.vmcoreinfo.symbols.get(name);
    if (v === undefined) throw this.missing(`SYMBOL(${name})`);
    return v;
  }

  offset(name: string): number {
    const v = this.vmcoreinfo.offsets.get(name);
    if (v === undefined) throw this.missing(`OFFSET(${name})`);
    return v;
  }

  size(name: string): number {
    const v = this.vmcoreinfo.sizes.get(name);
    if (v === undefined) throw this.missing(`SIZE(${name})`);
    return v;
  }

  length(name: string): number {
    const v = this.vmcoreinfo.lengths.get(name);
    if (v === undefined) throw this.missing(`LENGTH(${name})`);
    return v;
  }

  number(name: string): bigint {
    const v = this.vmcoreinfo.numbers.get(name);
    if (v === undefined) throw this.missing(`NUMBER(${name})`);
    return v;
  }

  pageSize(): number {
    const v = this.vmcoreinfo.pageSize;
    if (v === undefined) throw this.missing('PAGESIZE');
    return v;
  }

  hasSymbol(name: string): boolean {
    return this.vmcoreinfo.symbols.has(name);
  }

  hasOffset(name: string): boolean {
    return this.vmcoreinfo.offsets.has(name);
  }

  optionalNumber(name: string): bigint | undefined {
    return this.vmcoreinfo.numbers.get(name);
  }

  optionalOffset(name: string): number | undefined {
    return this.vmcoreinfo.offsets.get(name);
  }

  optionalSize(name: string): number | undefined {
    return this.vmcoreinfo.sizes.get(name);
  }

  optionalLength(name: string): number | undefined {
    return this.vmcoreinfo.lengths.get(name);
  }

  optionalSymbol(name: string): bigint | undefined {
    return this.vmcoreinfo.symbols.get(name);
  }

  /** OSRELEASE as [major, minor, patch] (makedumpfile's KERNEL_VERSION), undefined when absent or odd. */
  kernelVersion(): readonly [number, number, number] | undefined {
    const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(this.vmcoreinfo.osrelease ?? '');
    return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
  }
}

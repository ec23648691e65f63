import { VmcoreError, VmcoreErrorCode, cString, hex } from '@vmcore/bytes';
import { BUGCHECK_DATA32, BUGCHECK_DATA64, WIN_DUMP_HEADER32, WIN_DUMP_HEADER64, WIN_DUMP_RUN32, WIN_DUMP_RUN64 } from './layout.js';

export interface WinDumpRun {
  readonly basePage: bigint;
  readonly pageCount: bigint;
}

/**
 * One header's bytes, 64-bit (8192) or 32-bit (4096), with the fields QEMU reads and patches,
 * whichever the width (QEMU's WIN_DUMP_FIELD macros).
 */
export class WinDumpHeaderBytes {
  readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly x64: boolean,
  ) {
    const size = x64 ? WIN_DUMP_HEADER64.size : WIN_DUMP_HEADER32.size;
    if (bytes.length < size) {
      throw new VmcoreError(VmcoreErrorCode.Truncated, `win-dmp header: ${bytes.length} bytes, expected ${size}`);
    }
    this.view = new DataView(bytes.buffer, bytes.byteOffset, size);
  }

  get size(): number {
    return this.x64 ? WIN_DUMP_HEADER64.size : WIN_DUMP_HEADER32.size;
  }

  private offset(
    field:
      | 'DirectoryTableBase'
      | 'PfnDatabase'
      | 'NumberProcessors'
      | 'BugcheckCode'
      | 'BugcheckParameter1'
      | 'KdDebuggerDataBlock'
      | 'NumberOfRuns'
      | 'NumberOfPages'
      | 'RequiredDumpSpace',
  ): number {
    return this.x64 ? WIN_DUMP_HEADER64.offsets[field] : WIN_DUMP_HEADER32.offsets[field];
  }

  /** A pointer-sized field (u64 or u32). */
  pointer(field: 'DirectoryTableBase' | 'PfnDatabase' | 'BugcheckParameter1' | 'KdDebuggerDataBlock'): bigint {
    const at = this.offset(field);
    return this.x64 ? this.view.getBigUint64(at, true) : BigInt(this.view.getUint32(at, true));
  }

  setPointer(field: 'KdDebuggerDataBlock' | 'RequiredDumpSpace', value: bigint): void {
    const at = this.offset(field);
    if (this.x64) this.view.setBigUint64(at, BigInt.asUintN(64, value), true);
    else this.view.setUint32(at, Number(BigInt.asUintN(32, value)), true);
  }

  u32(field: 'NumberProcessors' | 'BugcheckCode' | 'NumberOfRuns'): number {
    return this.view.getUint32(this.offset(field), true);
  }

  setU32(field: 'BugcheckCode', value: number): void {
    this.view.setUint32(this.offset(field), value, true);
  }

  numberOfPages(): bigint {
    const at = this.offset('NumberOfPages');
    return this.x64 ? this.view.getBigUint64(at, true) : BigInt(this.view.getUint32(at, true));
  }

  /** Where a field's bytes are, to read guest memory straight into them. */
  fieldBytes(field: 'PfnDatabase' | 'BugcheckData'): Uint8Array {
    if (field === 'BugcheckData') {
      const { offset, size } = this.x64 ? BUGCHECK_DATA64 : BUGCHECK_DATA32;
      return this.bytes.subarray(offset, offset + size);
    }
    const at = this.offset(field);
    return this.bytes.subarray(at, at + (this.x64 ? 8 : 4));
  }

  /**
   * Run i of PhysicalMemoryBlock. QEMU trusts NumberOfRuns and reads past the 43 (or 86) runs
   * into the header's later bytes; so do we, but never past the header.
   */
  run(index: number): WinDumpRun {
    const layout = this.x64 ? WIN_DUMP_RUN64 : WIN_DUMP_RUN32;
    const at = (this.x64 ? WIN_DUMP_HEADER64.offsets.Runs : WIN_DUMP_HEADER32.offsets.Runs) + index * layout.size;
    if (at + layout.size > this.size) {
      throw new VmcoreError(
        VmcoreErrorCode.Corrupt,
        `win-dump: NumberOfRuns is ${this.u32('NumberOfRuns')}, but run ${index} would lie at ${hex(at)}, beyond the ${this.size}-byte header`,
      );
    }
    const run = layout.decode(this.bytes, 'le', at);
    return { basePage: BigInt(run.BasePage), pageCount: BigInt(run.PageCount) };
  }

  runs(): WinDumpRun[] {
    const count = this.u32('NumberOfRuns');
    const out: WinDumpRun[] = [];
    for (let i = 0; i < count; i++) out.push(this.run(i));
    return out;
  }
}

/** printf's "%.4s": at most four characters, stopping at a NUL. */
export function printf4s(bytes: Uint8Array): string {
  return cString(bytes.subarray(0, 4));
}

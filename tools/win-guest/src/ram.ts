/** The guest's RAM as one buffer laid out like QEMU's memory-backend-file: low RAM first, then RAM above 4 GiB. */
export class GuestRam {
  readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(
    /** RAM below 4 GiB (QEMU's below_4g_mem_size). */
    readonly lowMem: number,
    /** RAM at 4 GiB and up. */
    readonly highMem: number,
  ) {
    this.bytes = new Uint8Array(lowMem + highMem);
    this.view = new DataView(this.bytes.buffer);
  }

  /** The RAM file offset of a guest-physical address. */
  offset(phys: number, length = 1): number {
    if (phys >= 0 && phys + length <= this.lowMem) return phys;
    const high = phys - 2 ** 32;
    if (high >= 0 && high + length <= this.highMem) return this.lowMem + high;
    throw new Error(`win-guest: [0x${phys.toString(16)}, +0x${length.toString(16)}) is not guest RAM`);
  }

  /** QEMU's blocks of this RAM, with RAM file offsets. */
  blocks(): { start: number; size: number; offset: number }[] {
    return [
      { start: 0, size: this.lowMem, offset: 0 },
      ...(this.highMem ? [{ start: 2 ** 32, size: this.highMem, offset: this.lowMem }] : []),
    ];
  }

  set(phys: number, bytes: Uint8Array): void {
    this.bytes.set(bytes, this.offset(phys, bytes.length));
  }

  u16(phys: number, value: number): void {
    this.view.setUint16(this.offset(phys, 2), value, true);
  }

  u32(phys: number, value: number): void {
    this.view.setUint32(this.offset(phys, 4), value, true);
  }

  u64(phys: number, value: bigint): void {
    this.view.setBigUint64(this.offset(phys, 8), BigInt.asUintN(64, value), true);
  }

  getU64(phys: number): bigint {
    return this.view.getBigUint64(this.offset(phys, 8), true);
  }
}

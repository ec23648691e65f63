import { defineStruct, VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';

/** QEMU's hw/misc/vmcoreinfo.h: the fw_cfg file a guest writes to tell QEMU where its note is. */
export const FW_CFG_VMCOREINFO_FILENAME = 'etc/vmcoreinfo';
export const FW_CFG_VMCOREINFO_SIZE = 16;
export const VMCOREINFO_FORMAT_NONE = 0;
export const VMCOREINFO_FORMAT_ELF = 1;

/** struct FWCfgVMCoreInfo, QEMU_PACKED, always little-endian whatever the guest. */
const FwCfgVmcoreinfoLayout = defineStruct('FWCfgVMCoreInfo', [
  ['hostFormat', 'u16'],
  ['guestFormat', 'u16'],
  ['size', 'u32'],
  ['paddr', 'u64'],
] as const);

export interface FwCfgVmcoreinfo {
  /** Formats the host supports; QEMU sets VMCOREINFO_FORMAT_ELF on reset. */
  readonly hostFormat: number;
  /** Format of the note the guest supplies; 0 disables. */
  readonly guestFormat: number;
  /** Size of the guest's note region in bytes. */
  readonly size: number;
  /** Guest-physical address of the note region (u64 as the guest wrote it). */
  readonly paddr: bigint;
}

export function encodeFwCfgVmcoreinfo(entry: FwCfgVmcoreinfo): Uint8Array {
  for (const [field, value, max] of [
    ['hostFormat', entry.hostFormat, 0xffff],
    ['guestFormat', entry.guestFormat, 0xffff],
    ['size', entry.size, 0xffff_ffff],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw new VmcoreError(
        VmcoreErrorCode.InvalidArgument,
        `fw_cfg ${FW_CFG_VMCOREINFO_FILENAME}: ${field} ${value} is not an integer in 0..${max}`,
      );
    }
  }
  if (entry.paddr < 0n || entry.paddr >= 1n << 64n) {
    throw new VmcoreError(
      VmcoreErrorCode.InvalidArgument,
      `fw_cfg ${FW_CFG_VMCOREINFO_FILENAME}: paddr ${entry.paddr} does not fit in a u64`,
    );
  }
  return FwCfgVmcoreinfoLayout.encode(entry, 'le');
}

export function decodeFwCfgVmcoreinfo(bytes: Uint8Array): FwCfgVmcoreinfo {
  if (bytes.length !== FW_CFG_VMCOREINFO_SIZE) {
    throw new VmcoreError(
      VmcoreErrorCode.Corrupt,
      `fw_cfg ${FW_CFG_VMCOREINFO_FILENAME}: expected ${FW_CFG_VMCOREINFO_SIZE} bytes but got ${bytes.length}`,
    );
  }
  return FwCfgVmcoreinfoLayout.decode(bytes, 'le');
}

/** The device state QEMU keeps (VMCoreInfoState): the raw entry and whether the last write counted. */
export interface FwCfgVmcoreinfoState {
  readonly entry: FwCfgVmcoreinfo;
  readonly hasVmcoreinfo: boolean;
}

/** vmcoreinfo_reset(): zeroed entry, host_format = ELF, nothing to read. */
export function resetFwCfgVmcoreinfo(): FwCfgVmcoreinfoState {
  return {
    entry: { hostFormat: VMCOREINFO_FORMAT_ELF, guestFormat: VMCOREINFO_FORMAT_NONE, size: 0, paddr: 0n },
    hasVmcoreinfo: false,
  };
}

/**
 * A guest's fw_cfg DMA write of `data` at `offset` into the entry, as fw_cfg_dma_transfer() and
 * fw_cfg_vmci_write() handle it: a write that would run past the 16 bytes fails (nothing stored);
 * any other write stores its bytes, but only a full write at offset 0 with a non-zero
 * guest_format makes the entry count. A partial write leaves the bytes changed and the entry off.
 */
export function acceptFwCfgWrite(state: FwCfgVmcoreinfoState, offset: number, data: Uint8Array): FwCfgVmcoreinfoState {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + data.length > FW_CFG_VMCOREINFO_SIZE) {
    return state;
  }
  const raw = encodeFwCfgVmcoreinfo(state.entry);
  raw.set(data, offset);
  const entry = decodeFwCfgVmcoreinfo(raw);
  return {
    entry,
    hasVmcoreinfo: offset === 0 && data.length === FW_CFG_VMCOREINFO_SIZE && entry.guestFormat !== VMCOREINFO_FORMAT_NONE,
  };
}

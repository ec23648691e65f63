import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceGuest, type ReferenceGuest } from '@vmcore/qemu-guest';
import {
  acceptFwCfgWrite,
  encodeFwCfgVmcoreinfo,
  parseVmcoreinfo,
  qemuPhysBaseFromVmcoreinfo,
  readGuestNoteFromEntry,
  resetFwCfgVmcoreinfo,
  resolvePhysBase,
  scanForVmcoreinfoNote,
  vmcoreinfoText,
  type PhysBaseArch,
  type PhysChunk,
} from '../src/index.js';
import { openQemuElf, type QemuElf } from './qemu-elf.js';

/** guest-mem's X86_64.kernel rules, as far as these tests need them (page tables: guest-mem's e2e tests). */
const X86_64: PhysBaseArch = { name: 'x86_64', physBaseKey: 'phys_base' };
const X86_64_START_KERNEL_MAP = 0xffff_ffff_8000_0000n;
import { open } from 'node:fs/promises';

/**
 * The relation checked here, from arch/x86/kernel/head64.c and setup.c: the kernel sets
 *   phys_base = pa(_text) − (va(_text) − __START_KERNEL_map)
 * /proc/iomem "Kernel code" starts at __pa_symbol(_text) = pa(_text), and with KASLR
 *   va(_text) = __START_KERNEL + KERNELOFFSET = 0xffffffff81000000 + KERNELOFFSET
 * (CONFIG_PHYSICAL_START = 16 MiB on Debian; _stext = _text on x86_64), so
 *   phys_base = iomem Kernel code start − (KERNELOFFSET + 0x1000000),
 * a signed value that the kdump sub-header carries as its u64 two's complement. The page-table
 * cases are in @vmcore/guest-mem's phys-base e2e test, beside the walker.
 */
function expectedPhysBase(guest: ReferenceGuest): bigint {
  return BigInt.asUintN(64, BigInt(guest.facts.iomemKernelCode.start) - (BigInt(guest.facts.kernelOffset) + 0x100_0000n));
}

async function* elfChunks(elf: QemuElf, chunkSize = 4 << 20): AsyncGenerator<PhysChunk> {
  for (const load of elf.loads) {
    for (let off = 0; off < load.filesz; off += chunkSize) {
      yield { physAddr: load.paddr + off, bytes: await elf.read(load.paddr + off, Math.min(chunkSize, load.filesz - off)) };
    }
  }
}

for (const firmware of ['seabios', 'ovmf'] as const) {
  describe(`phys_base of the ${firmware} reference guest (QEMU 7.2 ELF with -device vmcoreinfo)`, () => {
    let guest: ReferenceGuest;
    let elf: QemuElf;
    beforeAll(async () => {
      guest = await referenceGuest({ firmware });
      elf = await openQemuElf(guest.qemuElf);
    });
    afterAll(async () => {
      await elf?.close();
    });

    it('the guest\'s own NUMBER(phys_base) and _stext agree with /proc/iomem "Kernel code" and KERNELOFFSET', () => {
      const info = parseVmcoreinfo(guest.facts.vmcoreinfoText);
      const stext = info.symbols.get('_stext')!;
      expect(stext).toBe(X86_64_START_KERNEL_MAP + 0x100_0000n + BigInt(guest.facts.kernelOffset));
      expect(BigInt(guest.facts.iomemKernelCode.start) - (stext - X86_64_START_KERNEL_MAP)).toBe(info.numbers.get('phys_base'));
      expect(BigInt.asUintN(64, info.numbers.get('phys_base')!)).toBe(expectedPhysBase(guest));
    });

    it("resolvePhysBase reads it from QEMU's guest note (the last PT_NOTE note)", async () => {
      const last = elf.notes[elf.notes.length - 1]!;
      expect(last.name).toBe('VMCOREINFO');
      const guestNote = elf.noteBytes.subarray(last.offset, last.offset + last.size);
      const result = await resolvePhysBase({ arch: X86_64, guestNote });
      expect(result).toMatchObject({ value: expectedPhysBase(guest), source: 'vmcoreinfo' });
      expect(result.warning).toBeUndefined();
    });

    it("readGuestNoteFromEntry, given the guest's fw_cfg entry, yields exactly the note QEMU wrote", async () => {
      const state = acceptFwCfgWrite(
        resetFwCfgVmcoreinfo(),
        0,
        encodeFwCfgVmcoreinfo({
          hostFormat: 1,
          guestFormat: 1,
          size: guest.facts.vmcoreinfoSize,
          paddr: BigInt(guest.facts.vmcoreinfoPaddr),
        }),
      );
      const result = await readGuestNoteFromEntry(state, elf.read, { elfClass: 64, endian: 'le' });
      const last = elf.notes[elf.notes.length - 1]!;
      expect(result).toEqual({
        ok: true,
        note: elf.noteBytes.slice(last.offset, last.offset + last.size),
        physAddr: guest.facts.vmcoreinfoPaddr,
      });
    });

    it('the scan finds that note at the address /sys/kernel/vmcoreinfo gives', async () => {
      const found = await scanForVmcoreinfoNote(elfChunks(elf));
      const last = elf.notes[elf.notes.length - 1]!;
      expect(found?.physAddr).toBe(guest.facts.vmcoreinfoPaddr);
      expect(found?.note).toEqual(elf.noteBytes.slice(last.offset, last.offset + last.size));
      expect(vmcoreinfoText(last.desc)).toBe(found?.text);
    });

    it("QEMU 7.2's kdump header holds the hex misreading that qemuPhysBaseFromVmcoreinfo predicts", async () => {
      const file = await open(guest.qemuKdumpZlibRaw, 'r');
      try {
        const sub = new Uint8Array(8);
        await file.read(sub, 0, 8, 4096); // kdump_sub_header.phys_base, first field of the block after disk_dump_header
        const written = new DataView(sub.buffer).getBigUint64(0, true);
        expect(written).toBe(qemuPhysBaseFromVmcoreinfo(guest.facts.vmcoreinfoText, X86_64));
        expect(written).not.toBe(expectedPhysBase(guest));
      } finally {
        await file.close();
      }
    });
  });
}

describe('phys_base of a guest without -device vmcoreinfo (seabios)', () => {
  let guest: ReferenceGuest;
  let elf: QemuElf;
  beforeAll(async () => {
    guest = await referenceGuest({ firmware: 'seabios', vmcoreinfo: false });
    elf = await openQemuElf(guest.qemuElf);
  });
  afterAll(async () => {
    await elf?.close();
  });

  it("QEMU's ELF has no guest note", () => {
    expect(elf.notes.some((n) => n.name === 'VMCOREINFO')).toBe(false);
  });
});

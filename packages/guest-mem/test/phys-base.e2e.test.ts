import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSource } from '@vmcore/bytes/node';
import { referenceGuest, type ReferenceGuest } from '@vmcore/qemu-guest';
import { resolveGuestPhysBase, type GuestMemory } from '../src/index.js';
import { coreGuest } from './qemu-core.js';

/**
 * phys_base through the architecture layer's one x86 walker (moved here from @vmcore/vmcoreinfo's
 * e2e tests when the walker left that package). The relation, from arch/x86/kernel/head64.c:
 *   phys_base = pa(_text) − (va(_text) − __START_KERNEL_map)
 * with pa(_text) = /proc/iomem "Kernel code" start and va(_text) = 0xffffffff81000000 + KERNELOFFSET.
 */
function expectedPhysBase(guest: ReferenceGuest): bigint {
  return BigInt.asUintN(64, BigInt(guest.facts.iomemKernelCode.start) - (BigInt(guest.facts.kernelOffset) + 0x100_0000n));
}

for (const firmware of ['seabios', 'ovmf'] as const) {
  describe(`phys_base of the ${firmware} reference guest from its page tables (QEMU 7.2 ELF)`, () => {
    let reference: ReferenceGuest;
    let source: FileSource;
    let guest: GuestMemory;
    beforeAll(async () => {
      reference = await referenceGuest({ firmware });
      source = await FileSource.open(reference.qemuElf);
      guest = await coreGuest(source);
    });
    afterAll(async () => {
      await source?.close();
    });

    it("resolvePhysBase derives the same value from the QEMU notes' CR3 and the page tables in memory", async () => {
      expect(guest.cpuNotes.filter((n) => n.name === 'QEMU').length).toBeGreaterThan(0);
      const result = await resolveGuestPhysBase(guest, { sources: ['page-tables'] });
      expect(result).toMatchObject({ value: expectedPhysBase(reference), source: 'page-tables' });
      expect(result.warning).toBeUndefined();
    });
  });
}

describe('phys_base of a guest without -device vmcoreinfo (seabios)', () => {
  let reference: ReferenceGuest;
  let source: FileSource;
  let guest: GuestMemory;
  beforeAll(async () => {
    reference = await referenceGuest({ firmware: 'seabios', vmcoreinfo: false });
    source = await FileSource.open(reference.qemuElf);
    guest = await coreGuest(source);
  });
  afterAll(async () => {
    await source?.close();
  });

  it('resolvePhysBase scans memory, finds the note where the kernel keeps it and gets the right phys_base', async () => {
    expect(guest.guestNote).toBeUndefined();
    const result = await resolveGuestPhysBase(guest);
    expect(result).toMatchObject({
      value: expectedPhysBase(reference),
      source: 'vmcoreinfo-scan',
      notePhysAddr: reference.facts.vmcoreinfoPaddr,
    });
    expect(result.warning).toBe('no guest VMCOREINFO note');
    expect(result.vmcoreinfo?.osrelease).toBe(reference.facts.kernelRelease);
  });

  it('the page tables alone give the same phys_base', async () => {
    const result = await resolveGuestPhysBase(guest, { sources: ['page-tables'] });
    expect(result).toMatchObject({ value: expectedPhysBase(reference), source: 'page-tables' });
  });
});

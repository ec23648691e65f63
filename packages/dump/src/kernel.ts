import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import type { GuestMemory } from '@vmcore/guest-mem';
import type { LinuxKernel } from '@vmcore/linux';
import type { Vmcoreinfo } from '@vmcore/vmcoreinfo';
import { resolveGuestPhysBase, type ResolvedPhysBase } from './backends.js';

/** A guest's Linux kernel, with where its VMCOREINFO and phys_base came from. */
export interface GuestKernel {
  readonly kernel: LinuxKernel;
  readonly vmcoreinfo: Vmcoreinfo;
  readonly physBase: bigint;
  /** 'vmcoreinfo' (the dump's note) or 'vmcoreinfo-scan' (found in guest memory). */
  readonly source: string;
}

/**
 * The guest's kernel through its VMCOREINFO: the dump's note, else the kernel's note found by
 * scanning guest memory (a guest booted without -device vmcoreinfo). Fails, naming what is
 * missing, when neither exists. `known`: a resolution already made for this guest.
 */
export async function guestKernel(guest: GuestMemory, known?: ResolvedPhysBase): Promise<GuestKernel> {
  const resolved = known ?? (await resolveGuestPhysBase(guest));
  // phys_base may come from the note, the page tables, or be 0 by architecture: the note is what counts
  if (!resolved.vmcoreinfo) {
    throw new VmcoreError(
      VmcoreErrorCode.Unsupported,
      `the dump has no VMCOREINFO note and none was found in guest memory: reading the Linux kernel needs it${resolved.warning ? ` (${resolved.warning})` : ''}`,
    );
  }
  // Loaded here: only commands that read the kernel (dump levels, info, dmesg) need @vmcore/linux.
  const { linuxKernel } = await import('@vmcore/linux');
  return {
    kernel: linuxKernel(guest, { vmcoreinfo: resolved.vmcoreinfo, physBase: resolved.value }),
    vmcoreinfo: resolved.vmcoreinfo,
    physBase: resolved.value,
    source: guest.guestNote ? 'vmcoreinfo' : 'vmcoreinfo-scan',
  };
}

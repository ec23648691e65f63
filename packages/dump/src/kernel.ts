import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import type { GuestMemory } from '@vmcore/guest-mem';
import { linuxKernel, readKernelLog, type KernelLog, type LinuxKernel } from '@vmcore/linux';
import type { Vmcoreinfo } from '@vmcore/vmcoreinfo';
import { resolveGuestPhysBase } from './backends.js';
import { openGuest } from './open.js';

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
 * missing, when neither exists.
 */
export async function guestKernel(guest: GuestMemory): Promise<GuestKernel> {
  const resolved = await resolveGuestPhysBase(guest);
  if (!resolved.vmcoreinfo || (resolved.source !== 'vmcoreinfo' && resolved.source !== 'vmcoreinfo-scan')) {
    throw new VmcoreError(
      VmcoreErrorCode.Unsupported,
      `the dump has no VMCOREINFO note and none was found in guest memory: reading the Linux kernel needs it${resolved.warning ? ` (${resolved.warning})` : ''}`,
    );
  }
  return {
    kernel: linuxKernel(guest, { vmcoreinfo: resolved.vmcoreinfo, physBase: resolved.value }),
    vmcoreinfo: resolved.vmcoreinfo,
    physBase: resolved.value,
    source: resolved.source,
  };
}

/** The kernel log of a vmcore file (or an opened guest, which stays open). */
export async function kernelLogOf(input: string | GuestMemory): Promise<KernelLog> {
  const guest = typeof input === 'string' ? await openGuest(input) : input;
  try {
    return await readKernelLog((await guestKernel(guest)).kernel);
  } finally {
    if (typeof input === 'string') await guest.close();
  }
}

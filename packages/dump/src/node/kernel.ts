import type { GuestMemory } from '@vmcore/guest-mem';
import type { KernelLog } from '@vmcore/linux';
import { guestKernel } from '../kernel.js';
import { openGuest } from './open.js';

/** The kernel log of a vmcore file (or an opened guest, which stays open). */
export async function kernelLogOf(input: string | GuestMemory): Promise<KernelLog> {
  // Reading the kernel never writes the zeros a sparse or filtered ELF claims: no size bound.
  const guest = typeof input === 'string' ? await openGuest(input, { allowSparse: true }) : input;
  try {
    const { readKernelLog } = await import('@vmcore/linux');
    return await readKernelLog((await guestKernel(guest)).kernel);
  } finally {
    if (typeof input === 'string') await guest.close();
  }
}

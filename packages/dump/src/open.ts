import { VmcoreError, VmcoreErrorCode, type RandomAccessSource } from '@vmcore/bytes';
import type { GuestMemory } from '@vmcore/guest-mem';
import { flattenedView, openElfGuest, openKdumpGuest } from './backends.js';
import { detectFormat, type DetectedFormat } from './detect.js';

/** Opens a detected dump as a guest; the source stays open until the guest is closed. */
export async function guestFromSource(source: RandomAccessSource, format: DetectedFormat): Promise<GuestMemory> {
  switch (format) {
    case 'elf':
      return openElfGuest(source);
    case 'kdump':
      return openKdumpGuest(source);
    case 'kdump-flattened':
      // Read in place: the index maps the raw file's offsets to records of the flattened one.
      return openKdumpGuest(await flattenedView(source));
    case 'win-dmp':
      throw new VmcoreError(VmcoreErrorCode.Unsupported, `${source.name}: reading Windows crash dumps (win-dmp) is not supported`);
  }
}

/**
 * Opens any supported vmcore held by a RandomAccessSource (a file, a Blob, bytes in memory) as a
 * GuestMemory, detected by content: ELF (including QEMU 7.2's layout), kdump-compressed raw, or
 * makedumpfile flattened.
 */
export async function openGuestSource(source: RandomAccessSource): Promise<GuestMemory> {
  return guestFromSource(source, await detectFormat(source));
}

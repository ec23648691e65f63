import { VmcoreError, VmcoreErrorCode, type RandomAccessSource } from '@vmcore/bytes';
import { stat } from 'node:fs/promises';
import { FileSource } from '@vmcore/bytes/node';
import { withQemuTarget, type GuestMemory } from '@vmcore/guest-mem';
import { detectFormat } from '../detect.js';
import { guestView } from '../guest-view.js';
import { guestFromSource, type OpenGuestOptions } from '../open.js';
import { withHoles } from './sparse-source.js';

export interface OpenedSource {
  readonly source: RandomAccessSource;
  /** Closes the source if openSource opened it. */
  close(): Promise<void>;
}

/** A path becomes a FileSource we own; a given source stays the caller's. */
export async function openSource(input: string | RandomAccessSource): Promise<OpenedSource> {
  if (typeof input !== 'string') return { source: input, close: async () => undefined };
  // Checked before open(): opening a FIFO nobody writes to would block for ever.
  const info = await stat(input).catch(() => undefined);
  if (info && !info.isFile() && !info.isBlockDevice()) {
    throw new VmcoreError(
      VmcoreErrorCode.NotSeekable,
      `${input} is not a regular file: reading a dump needs random access (save a stream to a file first, or use 'vmcore reassemble' for a flattened one)`,
    );
  }
  // Holes known (SEEK_DATA): QEMU writes its ELF's zero pages as holes, which readers then skip.
  const source = withHoles(await FileSource.open(input));
  let closed = false;
  return {
    source,
    async close() {
      if (closed) return;
      closed = true;
      await source.close();
    },
  };
}

/**
 * Opens any supported vmcore as a GuestMemory, detected by content: ELF (including QEMU 7.2's
 * layout), kdump-compressed raw, makedumpfile flattened, or a Windows full dump (its runs).
 * Closing the guest closes the file.
 */
export async function openGuest(input: string | RandomAccessSource, options: OpenGuestOptions = {}): Promise<GuestMemory> {
  const opened = await openSource(input);
  try {
    const format = await detectFormat(opened.source);
    const guest = await guestFromSource(opened.source, format, options);
    const info = options.qemuTarget === undefined ? undefined : withQemuTarget(guest.info, options.qemuTarget);
    return guestView(guest, { ...(info ? { info } : {}), onClose: () => opened.close() });
  } catch (error) {
    await opened.close().catch(() => undefined);
    throw error;
  }
}

import { VmcoreError, VmcoreErrorCode, type RandomAccessSource } from '@vmcore/bytes';
import { isFlattened } from './backends.js';

/** What a vmcore file is, judged by its content alone. */
export type DetectedFormat = 'elf' | 'kdump' | 'kdump-flattened' | 'win-dmp';

const PROBE = 32;

function startsWith(bytes: Uint8Array, text: string): boolean {
  if (bytes.length < text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[i] !== text.charCodeAt(i)) return false;
  return true;
}

/**
 * Classifies the first bytes of a dump: ELF core (any class, any layout, including QEMU 7.2's),
 * kdump-compressed ("KDUMP   ", or the older "DISKDUMP"), makedumpfile's flattened stream
 * ("makedumpfile" header), or a Windows crash dump ("PAGEDU64"/"PAGEDUMP").
 */
export function detectFormatFromBytes(first: Uint8Array, name = '<input>'): DetectedFormat {
  if (startsWith(first, '\x7fELF')) return 'elf';
  if (startsWith(first, 'KDUMP   ') || startsWith(first, 'DISKDUMP')) return 'kdump';
  if (isFlattened(first)) return 'kdump-flattened';
  if (startsWith(first, 'PAGEDU64') || startsWith(first, 'PAGEDUMP')) return 'win-dmp';
  if (first.length < 8) {
    throw new VmcoreError(
      VmcoreErrorCode.Truncated,
      `${name}: ${first.length} bytes are too few for any vmcore header (expected an ELF core, a kdump-compressed or a flattened file)`,
    );
  }
  const shown = [...first.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new VmcoreError(
    VmcoreErrorCode.BadMagic,
    `${name}: unknown content at offset 0 (${shown}); expected an ELF core (7f 45 4c 46), ` +
      `a kdump-compressed file ("KDUMP   "), a makedumpfile flattened file ("makedumpfile") or a Windows dump ("PAGEDU64")`,
  );
}

export async function detectFormat(source: RandomAccessSource): Promise<DetectedFormat> {
  const first = await source.read(0, Math.min(PROBE, source.size));
  return detectFormatFromBytes(first, source.name);
}

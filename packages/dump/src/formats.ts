import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import type { QemuTarget } from '@vmcore/guest-mem';
import { winDumpSupported } from './backends.js';
import { DUMP_FORMATS, type DumpFormat } from './format-names.js';

export { DUMP_FORMATS, type DumpFormat };

export type KdumpCodec = 'zlib' | 'lzo' | 'snappy';

/** What a format name means for the writer: the container, its codec, and what output it needs. */
export type FormatSpec =
  | { readonly format: 'elf'; readonly kind: 'elf'; readonly streamable: true }
  | {
      readonly format: DumpFormat;
      readonly kind: 'kdump';
      readonly codec: KdumpCodec;
      /** Flattened (makedumpfile -F) streams anywhere; raw needs positioned writes. */
      readonly flattened: boolean;
      readonly streamable: boolean;
    }
  | { readonly format: 'win-dmp'; readonly kind: 'win-dmp'; readonly streamable: true };

export function isDumpFormat(name: string): name is DumpFormat {
  return (DUMP_FORMATS as readonly string[]).includes(name);
}

/** Parses a format name; the message lists the accepted names. */
export function parseDumpFormat(name: string): DumpFormat {
  if (isDumpFormat(name)) return name;
  throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `unknown dump format '${name}' (expected one of: ${DUMP_FORMATS.join(', ')})`);
}

export function formatSpec(format: DumpFormat): FormatSpec {
  switch (format) {
    case 'elf':
      return { format, kind: 'elf', streamable: true };
    case 'win-dmp':
      return { format, kind: 'win-dmp', streamable: true };
    default: {
      const match = /^kdump-(raw-)?(zlib|lzo|snappy)$/.exec(format);
      if (!match) throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `unknown dump format '${format}'`);
      const flattened = match[1] === undefined;
      return { format, kind: 'kdump', codec: match[2] as KdumpCodec, flattened, streamable: flattened };
    }
  }
}

/**
 * What query-dump-guest-memory-capability would list for this guest: every elf and kdump format
 * (all three codecs are built in), and win-dmp when qemu-system-x86_64 serves it (its default
 * for x86_64 and i386 guests), as that binary lists it whatever the guest (QEMU 7.2 and newer:
 * win_dump_available() is about the target, not the guest; the dump itself then needs the
 * Windows header). A guest recorded under qemu-system-i386 gets no win-dmp.
 */
export function availableFormats(info: { readonly arch: string; readonly qemuTarget?: QemuTarget | undefined }): DumpFormat[] {
  const supported = winDumpSupported(info);
  return DUMP_FORMATS.filter((format) => format !== 'win-dmp' || supported);
}

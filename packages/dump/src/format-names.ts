// The format names alone, with no import: `vmcore --help` and other light entries read them
// through @vmcore/dump/formats without loading the writers.

/** QEMU's DumpGuestMemoryFormat, in the QAPI schema's order. */
export const DUMP_FORMATS = [
  'elf',
  'kdump-zlib',
  'kdump-lzo',
  'kdump-snappy',
  'kdump-raw-zlib',
  'kdump-raw-lzo',
  'kdump-raw-snappy',
  'win-dmp',
] as const;

export type DumpFormat = (typeof DUMP_FORMATS)[number];

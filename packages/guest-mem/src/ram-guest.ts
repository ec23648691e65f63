import { VmcoreError, VmcoreErrorCode, type RandomAccessSource } from '@vmcore/bytes';
import { X86_64_DUMP_INFO } from './arch/index.js';
import type { DumpInfo, ElfNote, GuestMemory } from './model.js';
import { guestFromParts, type GuestPart } from './parts.js';

export interface OpenRamGuestOptions {
  /** A block map (validated here): `{ blocks: [...] }` or `{ machine, ramSize, file }`. */
  readonly map: unknown;
  /** Directory that relative `file` entries are resolved against (usually the map's directory). */
  readonly baseDir?: string;
  /** Opens a RAM file; default: FileSource from `@vmcore/bytes/node`. */
  readonly open?: (path: string) => Promise<RandomAccessSource>;
  /** Default: x86_64 (EM_X86_64, ELFCLASS64, little-endian, 4 KiB pages). */
  readonly info?: DumpInfo;
  readonly cpuNotes?: readonly ElfNote[];
  readonly nrCpus?: number;
  readonly guestNote?: Uint8Array;
}

/** A guest from a raw RAM file (or several) and a block map; files are opened once each. */
export async function openRamGuest(options: OpenRamGuestOptions): Promise<GuestMemory> {
  const { expandBlockMap } = await import('./block-map.js');
  const entries = expandBlockMap(options.map);
  const open = options.open ?? defaultOpen;
  const sources = new Map<string, RandomAccessSource>();
  try {
    const parts: GuestPart[] = [];
    for (const entry of entries) {
      const path = resolvePath(options.baseDir, entry.file);
      let source = sources.get(path);
      if (!source) {
        source = await open(path);
        sources.set(path, source);
      }
      parts.push({
        start: entry.start,
        size: entry.size,
        source,
        offset: entry.offset,
        ...(entry.name === undefined ? {} : { name: entry.name }),
      });
    }
    return guestFromParts({
      info: options.info ?? X86_64_DUMP_INFO,
      parts,
      ...(options.cpuNotes ? { cpuNotes: options.cpuNotes } : {}),
      ...(options.nrCpus === undefined ? {} : { nrCpus: options.nrCpus }),
      ...(options.guestNote ? { guestNote: options.guestNote } : {}),
      close: async () => {
        for (const source of sources.values()) await source.close?.();
      },
    });
  } catch (error) {
    for (const source of sources.values()) await source.close?.().catch(() => undefined);
    throw error;
  }
}

function resolvePath(baseDir: string | undefined, file: string): string {
  if (!baseDir || file.startsWith('/')) return file;
  return baseDir.endsWith('/') ? baseDir + file : `${baseDir}/${file}`;
}

async function defaultOpen(path: string): Promise<RandomAccessSource> {
  // Loaded on demand so the package stays free of Node APIs unless a file is opened.
  const node = (await import('@vmcore/bytes/node').catch((error: unknown) => {
    throw new VmcoreError(VmcoreErrorCode.Unsupported, `cannot open ${path}: no file system here (pass options.open)`, { cause: error });
  })) as typeof import('@vmcore/bytes/node');
  return node.FileSource.open(path);
}

import type { Filter, GuestMemory } from '@vmcore/guest-mem';

export interface VerifyResult {
  /** Pages of the expected guest compared. */
  readonly pages: number;
  /** Pages whose bytes differ or that the other guest cannot read. */
  readonly mismatchedPages: number;
  /** Physical address of the first bad page. */
  readonly firstMismatch?: number;
  readonly notesMatch: boolean;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function notesEqual(expected: GuestMemory, actual: GuestMemory): boolean {
  if (expected.cpuNotes.length !== actual.cpuNotes.length) return false;
  for (let i = 0; i < expected.cpuNotes.length; i++) {
    const a = expected.cpuNotes[i]!;
    const b = actual.cpuNotes[i]!;
    if (a.name !== b.name || a.type !== b.type || !equalBytes(a.desc, b.desc)) return false;
  }
  if (!expected.guestNote !== !actual.guestNote) return false;
  return !expected.guestNote || equalBytes(expected.guestNote, actual.guestNote!);
}

/**
 * Compares every page of `expected` (inside the filter) with what `actual` returns for the same
 * physical addresses: how the demo proves a written dump reads back identical.
 */
export async function verifyGuest(expected: GuestMemory, actual: GuestMemory, options: { filter?: Filter } = {}): Promise<VerifyResult> {
  const pageSize = expected.info.pageSize;
  let pages = 0;
  let mismatchedPages = 0;
  let firstMismatch: number | undefined;
  const bad = (addr: number, count: number) => {
    mismatchedPages += count;
    firstMismatch ??= addr;
  };
  const chunks = expected.chunks(options.filter ? { filter: options.filter } : {});
  for await (const chunk of chunks) {
    const count = Math.ceil(chunk.bytes.length / pageSize);
    pages += count;
    let other: Uint8Array | undefined;
    try {
      other = await actual.read(chunk.physAddr, chunk.bytes.length);
    } catch {
      other = undefined;
    }
    if (other && equalBytes(chunk.bytes, other)) continue;
    // Page by page: the other guest may split its blocks differently or miss some pages.
    for (let off = 0; off < chunk.bytes.length; off += pageSize) {
      const len = Math.min(pageSize, chunk.bytes.length - off);
      let page: Uint8Array | undefined;
      try {
        page = other ? other.subarray(off, off + len) : await actual.read(chunk.physAddr + off, len);
      } catch {
        page = undefined;
      }
      if (!page || !equalBytes(chunk.bytes.subarray(off, off + len), page)) bad(chunk.physAddr + off, 1);
    }
  }
  return { pages, mismatchedPages, ...(firstMismatch !== undefined ? { firstMismatch } : {}), notesMatch: notesEqual(expected, actual) };
}

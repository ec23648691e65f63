import { elfNoteSize, latin1Bytes, NOTE_HEADER_SIZE, type Endian } from '@vmcore/bytes';
import type { ReadPhys } from './guest-note.js';

/** A piece of guest-physical memory (guest-mem's MemoryChunk has this shape). */
export interface PhysChunk {
  readonly physAddr: number;
  readonly bytes: Uint8Array;
}

/** A guest-physical RAM block (guest-mem's PhysBlock has this shape). */
export interface PhysRange {
  readonly start: number;
  readonly size: number;
}

export interface ScannedVmcoreinfoNote {
  /** Guest-physical address of the note header. */
  readonly physAddr: number;
  /** Header, padded name and padded descriptor, as QEMU would have copied it from the guest. */
  readonly note: Uint8Array;
  /** The descriptor text. */
  readonly text: string;
}

export interface ScanOptions {
  readonly endian?: Endian;
  /** Largest descriptor taken for a VMCOREINFO note (default 64 KiB: VMCOREINFO_BYTES is one page, up to 64 KiB pages). */
  readonly maxDescSize?: number;
  /** Called for each complete candidate in address order; returning false skips it and scanning goes on. */
  readonly accept?: (found: ScannedVmcoreinfoNote) => boolean | Promise<boolean>;
}

const NAME = latin1Bytes('VMCOREINFO\0');

interface ByteSearch {
  indexOf(this: Uint8Array, value: Uint8Array, byteOffset: number): number;
}
let nodeIndexOf: ByteSearch['indexOf'] | null | undefined;

/**
 * The first index >= from where `needle` starts in `buf`, or -1. Node's Buffer#indexOf
 * (a memmem-style search, several times faster than a JS loop over every first-byte hit in
 * dense memory: the name's 'V' is one byte in 256 of machine code); a portable loop elsewhere.
 */
function indexOfBytes(buf: Uint8Array, needle: Uint8Array, from: number): number {
  if (nodeIndexOf === undefined) {
    const NodeBuffer = (globalThis as { Buffer?: { prototype: ByteSearch } }).Buffer;
    nodeIndexOf = typeof NodeBuffer?.prototype.indexOf === 'function' ? NodeBuffer.prototype.indexOf : null;
  }
  if (from >= buf.length) return -1;
  if (nodeIndexOf) return nodeIndexOf.call(buf, needle, from);
  let n = buf.indexOf(needle[0]!, from);
  while (n !== -1) {
    let i = 1;
    while (i < needle.length && buf[n + i] === needle[i]) i++;
    if (i === needle.length) return n;
    n = buf.indexOf(needle[0]!, n + 1);
  }
  return -1;
}
const TEXT_START = latin1Bytes('OSRELEASE=');
const NAME_AT = NOTE_HEADER_SIZE;
const DESC_AT = NOTE_HEADER_SIZE + 12;
/** Bytes needed to recognise a header: Nhdr, "VMCOREINFO\0" + pad, "OSRELEASE=". */
const PREFIX = DESC_AT + TEXT_START.length;
const CARRY = PREFIX - 1;

function isText(b: number): boolean {
  return (b >= 0x20 && b <= 0x7e) || b === 0x0a || b === 0x09;
}

class Candidate {
  readonly buf: Uint8Array;
  filled = 0;
  failed = false;
  constructor(
    readonly physAddr: number,
    readonly descsz: number,
  ) {
    this.buf = new Uint8Array(elfNoteSize(NAME.length, descsz));
  }
  get complete(): boolean {
    return this.filled === this.buf.length;
  }
  /** Takes the bytes of [physAddr, physAddr + bytes.length) that continue this note; a gap fails it. */
  feed(physAddr: number, bytes: Uint8Array): void {
    if (this.failed || this.complete) return;
    const want = this.physAddr + this.filled;
    if (physAddr > want) {
      this.failed = true;
      return;
    }
    if (physAddr + bytes.length <= want) return;
    const from = want - physAddr;
    const take = Math.min(bytes.length - from, this.buf.length - this.filled);
    const piece = bytes.subarray(from, from + take);
    const descEnd = DESC_AT + this.descsz;
    for (let i = 0; i < take; i++) {
      const at = this.filled + i;
      if (at >= DESC_AT && at < descEnd && !isText(piece[i]!)) {
        this.failed = true;
        return;
      }
    }
    this.buf.set(piece, this.filled);
    this.filled += take;
  }
}

/**
 * Finds the guest kernel's VMCOREINFO note in a stream of guest memory, for guests booted
 * without `-device vmcoreinfo`: a 4-byte-aligned Elf_Nhdr with namesz 11 and type 0, the name
 * "VMCOREINFO", a plausible descsz and a printable-text descriptor starting with "OSRELEASE=".
 * Headers and descriptors may cross chunk boundaries; chunks that are not contiguous break a
 * note. Returns the note at the lowest address that `accept` takes, or undefined.
 */
export async function scanForVmcoreinfoNote(
  chunks: AsyncIterable<PhysChunk>,
  options: ScanOptions = {},
): Promise<ScannedVmcoreinfoNote | undefined> {
  const le = (options.endian ?? 'le') === 'le';
  const maxDesc = options.maxDescSize ?? 0x10000;
  let carry = new Uint8Array(0);
  let carryPhys = 0;
  /** Every header position below this address has been examined. */
  let examinedBelow = 0;
  let pending: Candidate[] = [];

  const u32 = (buf: Uint8Array, at: number): number =>
    le
      ? (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0
      : ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;

  /** Header positions h in [from, to) of buf (at physical base) whose prefix is complete. */
  const findHeaders = (buf: Uint8Array, base: number, from: number, to: number, found: Candidate[]): void => {
    let n = indexOfBytes(buf, NAME, from + NAME_AT);
    while (n !== -1 && n - NAME_AT < to) {
      const h = n - NAME_AT;
      if (h + PREFIX <= buf.length && (base + h) % 4 === 0 && base + h >= examinedBelow && matchesPrefix(buf, h)) {
        const descsz = u32(buf, h + 4);
        // The descriptor bytes at hand must already be text before a buffer is allocated, so a guest
        // full of fake headers costs no memory; two open candidates cannot overlap (a header is not text).
        if (
          u32(buf, h) === NAME.length &&
          u32(buf, h + 8) === 0 &&
          descsz >= TEXT_START.length &&
          descsz <= maxDesc &&
          allText(buf, h + DESC_AT, Math.min(buf.length, h + DESC_AT + descsz))
        ) {
          found.push(new Candidate(base + h, descsz));
        }
      }
      n = indexOfBytes(buf, NAME, n + 1);
    }
  };

  for await (const chunk of chunks) {
    const { physAddr, bytes } = chunk;
    if (bytes.length === 0) continue;
    const contiguous = carry.length > 0 && carryPhys + carry.length === physAddr;
    if (!contiguous) {
      carry = new Uint8Array(0);
      carryPhys = physAddr;
      examinedBelow = physAddr;
      pending = pending.filter((c) => c.complete);
    }

    for (const candidate of pending) candidate.feed(physAddr, bytes);

    const found: Candidate[] = [];
    if (carry.length > 0) {
      const seam = new Uint8Array(carry.length + Math.min(bytes.length, CARRY));
      seam.set(carry);
      seam.set(bytes.subarray(0, seam.length - carry.length), carry.length);
      const before = found.length;
      findHeaders(seam, carryPhys, 0, carry.length, found);
      for (const candidate of found.slice(before)) {
        candidate.feed(carryPhys, carry);
        candidate.feed(physAddr, bytes);
      }
    }
    const before = found.length;
    findHeaders(bytes, physAddr, 0, bytes.length, found);
    for (const candidate of found.slice(before)) candidate.feed(physAddr, bytes);
    pending.push(...found);

    const end = physAddr + bytes.length;
    examinedBelow = Math.max(examinedBelow, end - CARRY);
    if (bytes.length >= CARRY) {
      carry = bytes.slice(bytes.length - CARRY);
    } else {
      const joined = new Uint8Array(carry.length + bytes.length);
      joined.set(carry);
      joined.set(bytes, carry.length);
      carry = joined.slice(Math.max(0, joined.length - CARRY));
    }
    carryPhys = end - carry.length;

    while (pending.length > 0) {
      const head = pending[0]!;
      if (head.failed) {
        pending.shift();
        continue;
      }
      if (!head.complete) break;
      pending.shift();
      const found = { physAddr: head.physAddr, note: head.buf, text: textOf(head) };
      if (!options.accept || (await options.accept(found))) return found;
    }
  }
  for (const candidate of pending) {
    if (!candidate.complete || candidate.failed) continue;
    const found = { physAddr: candidate.physAddr, note: candidate.buf, text: textOf(candidate) };
    if (!options.accept || (await options.accept(found))) return found;
  }
  return undefined;
}

const latin1 = new TextDecoder('latin1');

function textOf(c: Candidate): string {
  return latin1.decode(c.buf.subarray(DESC_AT, DESC_AT + c.descsz));
}

function allText(buf: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isText(buf[i]!)) return false;
  return true;
}

function matchesPrefix(buf: Uint8Array, h: number): boolean {
  for (let i = 0; i < NAME.length; i++) if (buf[h + NAME_AT + i] !== NAME[i]) return false;
  for (let i = 0; i < TEXT_START.length; i++) if (buf[h + DESC_AT + i] !== TEXT_START[i]) return false;
  return true;
}

/** Streams RAM blocks through `read` in chunks (default 4 MiB), never crossing a block boundary. */
export async function* chunksFromBlocks(read: ReadPhys, blocks: readonly PhysRange[], chunkSize = 4 << 20): AsyncGenerator<PhysChunk> {
  for (const block of blocks) {
    for (let offset = 0; offset < block.size; offset += chunkSize) {
      const length = Math.min(chunkSize, block.size - offset);
      yield { physAddr: block.start + offset, bytes: await read(block.start + offset, length) };
    }
  }
}

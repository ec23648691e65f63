import { readFile } from 'node:fs/promises';
import { Prng } from './prng.js';
import type { Edit, Recipe } from './recipe.js';

/** Extremes a lying header field gets: zero, one, sign bits, all ones, 2^49, 1 TiB. */
const U32 = [0, 1, 0x1000, 0x7fffffff, 0x80000000, 0xffffffff];
const U64 = ['0', '1', '0x10000000000', '0x2000000000000', '0x7fffffffffffffff', '0x8000000000000000', '0xffffffffffffffff'];
const TIB = 2 ** 40;

/** Hostile VMCOREINFO lines, written over the note's text (same length, so the note stays framed). */
const VMCOREINFO_LINES = [
  'PAGESIZE=99999999999999999999999999\n',
  'NUMBER(phys_base)=-9223372036854775809\n',
  'SYMBOL(init_uts_ns)=ffffffffffffffffffffffff\n',
  'OSRELEASE=\u00ff\u00fe\u0000\u0000\u0000\u0000\n',
  'KERNELOFFSET=zz\nLENGTH(mem_section)=-1\n',
  '=\n=\n=\n=\n=\n=\n=\n=\n=\n=\n=\n',
];

interface Field {
  readonly at: number;
  readonly size: 4 | 8;
  readonly endian: 'le' | 'be';
  readonly what: string;
}

function fieldEdits(prefix: string, seed: string, fields: readonly Field[], rng: Prng, count: number): Recipe[] {
  const out: Recipe[] = [];
  for (let i = 0; i < count; i++) {
    const field = rng.pick(fields);
    const edit: Edit =
      field.size === 4
        ? { op: field.endian === 'le' ? 'u32le' : 'u32be', at: field.at, value: rng.pick(U32) }
        : { op: field.endian === 'le' ? 'u64le' : 'u64be', at: field.at, value: rng.pick(U64) };
    const value = 'value' in edit ? edit.value : '';
    out.push({ name: `${prefix}-${field.what}=${value}`, seed, edits: [edit] });
  }
  return out;
}

function generic(prefix: string, seed: string, bytes: Uint8Array, rng: Prng, headerSpan: number): Recipe[] {
  const out: Recipe[] = [];
  // Truncations: inside the headers, and at random points of the file.
  for (const size of [0, 7, 100, 600, 4096, 4112, 8192])
    out.push({ name: `${prefix}-truncate-${size}`, seed, edits: [{ op: 'truncate', size }] });
  for (let i = 0; i < 3; i++) {
    const size = rng.int(bytes.length);
    out.push({ name: `${prefix}-truncate-${size}`, seed, edits: [{ op: 'truncate', size }] });
  }
  // Bit flips in the structures (headers, bitmaps, descriptors, notes).
  for (let i = 0; i < 6; i++) {
    const edits: Edit[] = [];
    for (let k = 0; k < 1 + rng.int(8); k++) edits.push({ op: 'flip', at: rng.int(Math.min(bytes.length, headerSpan)), bit: rng.int(8) });
    out.push({ name: `${prefix}-flips-${i}`, seed, edits });
  }
  // Sparse giants: the real file followed by a terabyte of holes, and a header alone in one.
  out.push({ name: `${prefix}-sparse-1TiB`, seed, edits: [{ op: 'sparse', size: TIB }] });
  out.push({
    name: `${prefix}-header-in-1TiB`,
    seed,
    edits: [
      { op: 'truncate', size: 4096 },
      { op: 'sparse', size: TIB },
    ],
  });
  return out;
}

function vmcoreinfoEdits(prefix: string, seed: string, bytes: Uint8Array, rng: Prng): Recipe[] {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf('OSRELEASE=');
  if (text < 0) return [];
  return VMCOREINFO_LINES.map((line, i) => ({
    name: `${prefix}-vmcoreinfo-${i}`,
    seed,
    edits: [{ op: 'bytes', at: text + rng.int(64), hex: Buffer.from(line, 'latin1').toString('hex') } as Edit],
  }));
}

/** Hostile variants of a raw kdump seed: header, sub header and page-descriptor fields. */
export async function kdumpCases(path: string, seed: string, rng: Prng): Promise<Recipe[]> {
  const bytes = new Uint8Array(await readFile(path));
  const view = new DataView(bytes.buffer);
  const blockSize = view.getUint32(428, true);
  const subBlocks = view.getUint32(432, true);
  const bitmapBlocks = view.getUint32(436, true);
  const descriptors = (1 + subBlocks + bitmapBlocks) * blockSize;
  const le = (at: number, size: 4 | 8, what: string): Field => ({ at, size, endian: 'le', what });
  const fields = [
    le(424, 4, 'status'),
    le(428, 4, 'block_size'),
    le(432, 4, 'sub_hdr_size'),
    le(436, 4, 'bitmap_blocks'),
    le(440, 4, 'max_mapnr'),
    le(460, 4, 'nr_cpus'),
    le(blockSize + 32, 8, 'offset_vmcoreinfo'),
    le(blockSize + 40, 8, 'size_vmcoreinfo'),
    le(blockSize + 48, 8, 'offset_note'),
    le(blockSize + 56, 8, 'note_size'),
    le(blockSize + 96, 8, 'max_mapnr_64'),
    le(descriptors, 8, 'desc0.offset'),
    le(descriptors + 8, 4, 'desc0.size'),
    le(descriptors + 12, 4, 'desc0.flags'),
    le(descriptors + 24 * 5 + 8, 4, 'desc5.size'),
    le(descriptors + 24 * 9, 8, 'desc9.offset'),
  ];
  // Lying counts together: a bitmap of 2^32-1 blocks and a max_mapnr_64 to match (issue 10, item 2).
  const lying: Recipe = {
    name: `${seed}-lying-bitmap`,
    seed,
    edits: [
      { op: 'u32le', at: 436, value: 0xffffffff },
      { op: 'u64le', at: blockSize + 96, value: `0x${((0xffffffffn * BigInt(blockSize) * 8n) / 2n).toString(16)}` },
      { op: 'sparse', size: TIB },
    ],
  };
  return [
    ...generic(seed, seed, bytes, rng, descriptors + 24 * 64),
    ...fieldEdits(seed, seed, fields, rng, 22),
    ...vmcoreinfoEdits(seed, seed, bytes, rng),
    lying,
  ];
}

/** Records of a flattened file: position of each record header, its offset and size. */
function flatRecords(bytes: Uint8Array): { at: number; offset: bigint; size: number }[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const out: { at: number; offset: bigint; size: number }[] = [];
  for (let at = 4096; at + 16 <= bytes.length;) {
    const offset = view.getBigInt64(at);
    const size = Number(view.getBigInt64(at + 8));
    out.push({ at, offset, size });
    if (offset === -1n || size < 0) break;
    at += 16 + size;
  }
  return out;
}

/** Hostile variants of a flattened seed: record offsets and sizes (huge, negative), the end marker. */
export async function flatCases(path: string, seed: string, rng: Prng): Promise<Recipe[]> {
  const bytes = new Uint8Array(await readFile(path));
  const records = flatRecords(bytes);
  const fields: Field[] = [];
  for (const r of records.slice(0, 6)) {
    fields.push(
      { at: r.at, size: 8, endian: 'be', what: `record@${r.at}.offset` },
      { at: r.at + 8, size: 8, endian: 'be', what: `record@${r.at}.size` },
    );
  }
  const last = records[records.length - 1]!;
  const header = records.find((r) => r.offset === 0n);
  const cases: Recipe[] = [
    ...generic(seed, seed, bytes, rng, Math.min(bytes.length, 65536)),
    ...fieldEdits(seed, seed, fields, rng, 14),
    // No end marker; then a record far away (2^49) and an end marker after it.
    { name: `${seed}-no-end-marker`, seed, edits: [{ op: 'truncate', size: last.at }] },
    {
      name: `${seed}-record-at-2^49`,
      seed,
      edits: [
        { op: 'truncate', size: last.at },
        { op: 'append', hex: `0002000000000000${'0'.repeat(14)}10${'00'.repeat(16)}${'ff'.repeat(16)}` },
      ],
    },
    // Negative sizes and offsets.
    { name: `${seed}-negative-size`, seed, edits: [{ op: 'u64be', at: records[1]!.at + 8, value: '0xfffffffffffffff0' }] },
    { name: `${seed}-negative-offset`, seed, edits: [{ op: 'u64be', at: records[1]!.at, value: '0x8000000000000000' }] },
  ];
  if (header) {
    const h = header.at + 16;
    cases.push({
      name: `${seed}-lying-bitmap`,
      seed,
      edits: [
        { op: 'u32le', at: h + 436, value: 0xffffffff },
        { op: 'u32le', at: h + 440, value: 0xffffffff },
      ],
    });
  }
  return cases;
}

/** Hostile variants of an ELF seed: ELF header and program header fields, p_memsz giants. */
export async function elfCases(path: string, seed: string, rng: Prng): Promise<Recipe[]> {
  const bytes = new Uint8Array(await readFile(path));
  const view = new DataView(bytes.buffer);
  const phoff = Number(view.getBigUint64(32, true));
  const phnum = view.getUint16(56, true);
  const fields: Field[] = [
    { at: 32, size: 8, endian: 'le', what: 'e_phoff' },
    { at: 40, size: 8, endian: 'le', what: 'e_shoff' },
  ];
  for (let i = 0; i < Math.min(phnum, 4); i++) {
    const at = phoff + i * 56;
    for (const [off, what] of [
      [8, 'p_offset'],
      [24, 'p_paddr'],
      [32, 'p_filesz'],
      [40, 'p_memsz'],
    ] as const) {
      fields.push({ at: at + off, size: 8, endian: 'le', what: `ph${i}.${what}` });
    }
  }
  const lastLoad = phoff + (phnum - 1) * 56;
  return [
    ...generic(seed, seed, bytes, rng, phoff + phnum * 56 + 8192),
    ...fieldEdits(seed, seed, fields, rng, 18),
    ...vmcoreinfoEdits(seed, seed, bytes, rng),
    { name: `${seed}-e_phnum-65535`, seed, edits: [{ op: 'u16le', at: 56, value: 0xffff }] },
    { name: `${seed}-e_shnum-65535`, seed, edits: [{ op: 'u16le', at: 60, value: 0xffff }] },
    // Issue 10 minor: a PT_LOAD claiming 1 TiB it does not store.
    { name: `${seed}-p_memsz-1TiB`, seed, edits: [{ op: 'u64le', at: lastLoad + 40, value: '0x10000000000' }] },
  ];
}

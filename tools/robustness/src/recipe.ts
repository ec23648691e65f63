import { open, readFile, writeFile } from 'node:fs/promises';

/**
 * A hostile input as a recipe: a seed file and edits. Recipes are what the corpus stores, so a
 * 1 TiB sparse giant costs a few bytes of JSON and every case replays exactly.
 */
export type Edit =
  | { op: 'truncate'; size: number }
  | { op: 'u16le' | 'u32le' | 'u32be'; at: number; value: number }
  | { op: 'u64le' | 'u64be'; at: number; value: string }
  | { op: 'flip'; at: number; bit: number }
  | { op: 'bytes'; at: number; hex: string }
  | { op: 'append'; hex: string }
  | { op: 'sparse'; size: number };

export interface Recipe {
  readonly name: string;
  /** 'kdump' | 'flat' | 'elf': a seed made from the committed sample guest by our own CLI. */
  readonly seed: string;
  readonly edits: readonly Edit[];
  /** Why the case exists (corpus entries: the defect it once found). */
  readonly note?: string;
}

/** Writes the recipe's file: the seed with the edits applied; `sparse` extends with ftruncate. */
export async function materialize(recipe: Recipe, seeds: Record<string, string>, path: string): Promise<void> {
  const seedPath = seeds[recipe.seed];
  if (!seedPath) throw new Error(`recipe ${recipe.name}: unknown seed ${recipe.seed}`);
  let bytes = new Uint8Array(await readFile(seedPath));
  let sparse: number | undefined;
  for (const edit of recipe.edits) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const inside = (at: number, n: number) => at >= 0 && at + n <= bytes.length;
    switch (edit.op) {
      case 'truncate':
        bytes = bytes.slice(0, Math.min(edit.size, bytes.length));
        break;
      case 'u16le':
        if (inside(edit.at, 2)) view.setUint16(edit.at, edit.value, true);
        break;
      case 'u32le':
      case 'u32be':
        if (inside(edit.at, 4)) view.setUint32(edit.at, edit.value >>> 0, edit.op === 'u32le');
        break;
      case 'u64le':
      case 'u64be':
        if (inside(edit.at, 8)) view.setBigUint64(edit.at, BigInt.asUintN(64, BigInt(edit.value)), edit.op === 'u64le');
        break;
      case 'flip':
        if (inside(edit.at, 1)) bytes[edit.at]! ^= 1 << edit.bit;
        break;
      case 'bytes': {
        const patch = Buffer.from(edit.hex, 'hex');
        if (inside(edit.at, patch.length)) bytes.set(patch, edit.at);
        break;
      }
      case 'append': {
        const grown = new Uint8Array(bytes.length + edit.hex.length / 2);
        grown.set(bytes);
        grown.set(Buffer.from(edit.hex, 'hex'), bytes.length);
        bytes = grown;
        break;
      }
      case 'sparse':
        sparse = edit.size;
        break;
    }
  }
  await writeFile(path, bytes);
  if (sparse !== undefined) {
    const handle = await open(path, 'r+');
    try {
      await handle.truncate(sparse);
    } finally {
      await handle.close();
    }
  }
}

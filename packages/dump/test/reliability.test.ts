import { open, readFile, writeFile, link, symlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isVmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import type { ChunkOptions, GuestMemory, MemoryChunk } from '@vmcore/guest-mem';
import { DUMP_DH_COMPRESSED_INCOMPLETE } from '@vmcore/kdump';
import { describe, expect, it } from 'vitest';
import { describeDump, dumpGuest, openGuest, reassembleFlattened } from '../src/node/index.js';
import { syntheticGuest } from '@vmcore/test-support';
import { listDir, tempDir } from './helpers.js';

/** The guest, except that reading memory fails after `chunks` chunks, as a full disk fails a write. */
function failingAfter(guest: GuestMemory, chunks: number): GuestMemory {
  return {
    info: guest.info,
    blocks: guest.blocks,
    mappings: guest.mappings,
    cpuNotes: guest.cpuNotes,
    nrCpus: guest.nrCpus,
    ...(guest.guestNote ? { guestNote: guest.guestNote } : {}),
    read: (addr, length) => guest.read(addr, length),
    chunks(options?: ChunkOptions): AsyncIterable<MemoryChunk> {
      return {
        async *[Symbol.asyncIterator]() {
          let n = 0;
          for await (const chunk of guest.chunks(options)) {
            if (n++ === chunks) throw new Error('No space left on device (simulated)');
            yield chunk;
          }
        },
      };
    },
    close: () => guest.close(),
  };
}

const statusOf = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(424, true);

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return isVmcoreError(error) ? error.code : String(error);
  }
}

describe('issue 10 item 9: a raw kdump whose writing failed says it is incomplete', () => {
  it('leaves status 0x8 in a file written through a descriptor when the dump fails midway', async () => {
    const dir = await tempDir();
    const path = join(dir, 'failed.kdump');
    const handle = await open(path, 'w');
    try {
      await expect(dumpGuest(failingAfter(syntheticGuest(), 2), 'kdump-raw-zlib', { fd: handle.fd }, { workers: 0 })).rejects.toThrow(
        /No space left/,
      );
    } finally {
      await handle.close();
    }
    const bytes = await readFile(path);
    expect(bytes.length).toBeGreaterThan(4096);
    expect(statusOf(bytes) & DUMP_DH_COMPRESSED_INCOMPLETE).toBe(DUMP_DH_COMPRESSED_INCOMPLETE);
    expect(await codeOf(openGuest(path))).toBe(VmcoreErrorCode.Incomplete);
    expect(await codeOf(describeDump(path))).toBe(VmcoreErrorCode.Incomplete);
  });

  it('clears 0x8 once the last page is written, and info reports a marked file as INCOMPLETE', async () => {
    const dir = await tempDir();
    const path = join(dir, 'good.kdump');
    await dumpGuest(syntheticGuest(), 'kdump-raw-lzo', path, { workers: 0 });
    const bytes = await readFile(path);
    expect(statusOf(bytes)).toBe(0x2);
    // The same complete file with the bit set, as makedumpfile leaves a file on ENOSPC.
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(424, 0x2 | DUMP_DH_COMPRESSED_INCOMPLETE, true);
    const marked = join(dir, 'marked.kdump');
    await writeFile(marked, bytes);
    const described = await describeDump(marked);
    expect(described.kdump?.incomplete).toBe(true);
    expect(described.warnings.join('\n')).toMatch(/INCOMPLETE/);
    expect(await codeOf(openGuest(marked))).toBe(VmcoreErrorCode.Incomplete);
    const guest = await openGuest(marked, { allowIncomplete: true });
    await guest.close();
  });

  it('keeps flattened output free of a second header record (the end marker tells completeness)', async () => {
    const dir = await tempDir();
    const path = join(dir, 'flat.kdump');
    await dumpGuest(syntheticGuest(), 'kdump-zlib', path, { workers: 0 });
    const bytes = await readFile(path);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    let headerRecords = 0;
    for (let at = 4096; ;) {
      const offset = view.getBigInt64(at);
      const size = Number(view.getBigInt64(at + 8));
      if (offset === -1n) break;
      if (offset === 0n) headerRecords++;
      at += 16 + size;
    }
    expect(headerRecords).toBe(1);
    expect((await describeDump(path)).kdump?.incomplete).toBe(false);
  });
});

describe('issue 10 item 4: never write over our own input', () => {
  it('refuses OUT that is IN by path, hard link or symlink, before touching it', async () => {
    const dir = await tempDir();
    const input = join(dir, 'in.kdump');
    await dumpGuest(syntheticGuest(), 'kdump-raw-zlib', input, { workers: 0 });
    const before = await readFile(input);
    await link(input, join(dir, 'hard.kdump'));
    await symlink(input, join(dir, 'soft.kdump'));
    for (const out of [input, join(dir, 'hard.kdump'), join(dir, 'soft.kdump')]) {
      const guest = await openGuest(input);
      try {
        const error = await dumpGuest(guest, 'elf', out, { inputs: [input] }).catch((e: unknown) => e);
        expect(isVmcoreError(error, VmcoreErrorCode.SameFile)).toBe(true);
        expect((error as Error).message).toContain(input);
        expect((error as Error).message).toContain(out);
      } finally {
        await guest.close();
      }
    }
    expect(Buffer.compare(await readFile(input), before)).toBe(0);
    expect(await listDir(dir)).toEqual(['hard.kdump', 'in.kdump', 'soft.kdump']);
  });

  it('reassembleFlattened refuses x.flat x.flat and keeps the input', async () => {
    const dir = await tempDir();
    const flat = join(dir, 'x.flat');
    await dumpGuest(syntheticGuest(), 'kdump-snappy', flat, { workers: 0 });
    const size = (await stat(flat)).size;
    await expect(reassembleFlattened(flat, flat)).rejects.toThrow(/refusing to write over an input/);
    expect((await stat(flat)).size).toBe(size);
    expect(await listDir(dir)).toEqual(['x.flat']);
  });
});

describe('issue 10 item 5: reassemble into an existing directory', () => {
  it('fails before writing anything, naming the directory, and leaves no temporary file', async () => {
    const dir = await tempDir();
    const flat = join(dir, 'x.flat');
    await dumpGuest(syntheticGuest(), 'kdump-lzo', flat, { workers: 0 });
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'd'));
    const error = await reassembleFlattened(flat, join(dir, 'd')).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(`cannot reassemble ${flat} into ${join(dir, 'd')}: ${join(dir, 'd')} is a directory`);
    expect((error as Error).message).not.toMatch(/partial|EISDIR/);
    expect(await listDir(dir)).toEqual(['d', 'x.flat']);
  });
});

describe('issue 10 minor: huge size claims in tiny ELF inputs', () => {
  it('refuses an ELF whose PT_LOAD claims 1 TiB it does not store, unless allowSparse', async () => {
    const dir = await tempDir();
    const elf = join(dir, 'g.elf');
    await dumpGuest(syntheticGuest({ ramMiB: 1 }), 'elf', elf);
    const bytes = await readFile(elf);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const phoff = Number(view.getBigUint64(32, true));
    const phnum = view.getUint16(56, true);
    let patched = false;
    for (let i = 0; i < phnum && !patched; i++) {
      const at = phoff + i * 56;
      if (view.getUint32(at, true) !== 1) continue; // PT_LOAD
      const paddr = view.getBigUint64(at + 24, true);
      if (paddr !== 0x100000n) continue; // the last block: nothing above it to overlap
      view.setBigUint64(at + 40, 1n << 40n, true); // p_memsz
      patched = true;
    }
    expect(patched).toBe(true);
    const huge = join(dir, 'huge.elf');
    await writeFile(huge, bytes);
    const error = await openGuest(huge).catch((e: unknown) => e);
    expect(isVmcoreError(error, VmcoreErrorCode.TooLarge)).toBe(true);
    expect((error as Error).message).toMatch(/does not store.*--allow-sparse/);
    const guest = await openGuest(huge, { allowSparse: true });
    expect(guest.blocks.reduce((n, b) => n + b.size, 0)).toBeGreaterThan(2 ** 40);
    await guest.close();
    expect((await describeDump(huge)).ramBytes).toBeGreaterThan(2 ** 40);
  });
});

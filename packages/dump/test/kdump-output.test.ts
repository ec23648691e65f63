import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { detectFormat, verifyGuest } from '../src/index.js';
import { dumpGuest, openGuest } from '../src/node/index.js';
import { syntheticGuest } from '@vmcore/test-support';
import { FileSource } from '@vmcore/bytes/node';
import { listDir, tempDir } from './helpers.js';

async function readsBack(path: string) {
  const source = syntheticGuest({ ramMiB: 3 });
  const back = await openGuest(path);
  try {
    return await verifyGuest(source, back);
  } finally {
    await back.close();
  }
}

describe('dumpGuest kdump outputs', () => {
  it.each(['kdump-zlib', 'kdump-lzo', 'kdump-snappy', 'kdump-raw-zlib', 'kdump-raw-lzo', 'kdump-raw-snappy'] as const)(
    'writes %s to a file that reads back page for page',
    async (format) => {
      const dir = await tempDir();
      const path = join(dir, 'guest.kdump');
      const seen: number[] = [];
      const result = await dumpGuest(syntheticGuest({ ramMiB: 3 }), format, path, { onProgress: (c) => seen.push(c), workers: 0 });
      expect(await listDir(dir)).toEqual(['guest.kdump']);
      const source = await FileSource.open(path);
      expect(await detectFormat(source)).toBe(format.includes('raw') ? 'kdump' : 'kdump-flattened');
      await source.close();
      expect(result).toMatchObject({ physBase: 0n, physBaseSource: 'vmcoreinfo', warnings: [] });
      expect(seen.at(-1)).toBe(result.total);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(await readsBack(path)).toMatchObject({ mismatchedPages: 0, notesMatch: true });
    },
  );

  it('streams flattened kdump to a Writable, byte for byte the same as to a file', async () => {
    const dir = await tempDir();
    await dumpGuest(syntheticGuest({ ramMiB: 3 }), 'kdump-snappy', join(dir, 'file.flat'), { workers: 0 });
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    await dumpGuest(syntheticGuest({ ramMiB: 3 }), 'kdump-snappy', stream, { workers: 0 });
    expect(Buffer.concat(chunks).equals(await readFile(join(dir, 'file.flat')))).toBe(true);
  });

  it('writes kdump-raw to a seekable file descriptor the caller owns', async () => {
    const dir = await tempDir();
    const path = join(dir, 'fd.kdump');
    await writeFile(path, '');
    const handle = await open(path, 'r+');
    try {
      await dumpGuest(syntheticGuest({ ramMiB: 3 }), 'kdump-raw-zlib', { fd: handle.fd }, { workers: 0 });
    } finally {
      await handle.close();
    }
    expect(await readsBack(path)).toMatchObject({ mismatchedPages: 0 });
  });

  it('uses a phys_base given by the caller instead of resolving one', async () => {
    const dir = await tempDir();
    const result = await dumpGuest(syntheticGuest({ ramMiB: 1 }), 'kdump-raw-lzo', join(dir, 'g.kdump'), {
      physBase: 0x1000000n,
      workers: 0,
    });
    expect(result).toMatchObject({ physBase: 0x1000000n, physBaseSource: 'option' });
  });
});

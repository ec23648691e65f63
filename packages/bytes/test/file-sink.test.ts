import { mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { MemorySource } from '../src/index.js';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSink, FileSource } from '../src/node/index.js';

describe('FileSink', () => {
  it('writes to a hidden partial name and renames only on commit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vmcore-bytes-'));
    const target = join(dir, 'out.bin');
    const sink = await FileSink.create(target, { mode: 0o400 });
    await sink.write(new Uint8Array([1, 2, 3]));
    await sink.write(10, new Uint8Array([4]));
    expect(await readdir(dir)).not.toContain('out.bin');
    await sink.commit();
    expect([...(await readFile(target))]).toEqual([1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 4]);
    expect((await stat(target)).mode & 0o777).toBe(0o400);
  });

  it('leaves nothing behind when aborted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vmcore-bytes-'));
    const sink = await FileSink.create(join(dir, 'out.bin'));
    await sink.write(new Uint8Array(100));
    await sink.abort();
    expect(await readdir(dir)).toEqual([]);
  });

  it('reports a full disk with the errno text QEMU uses', async () => {
    const sink = await FileSink.create('/dev/full', { atomic: false });
    await expect(sink.write(new Uint8Array(4096))).rejects.toThrow(/No space left on device/);
    await sink.abort();
  });
});

const addonBuilt = (() => {
  try {
    createRequire(import.meta.url)('@vmcore/compress-native');
    return true;
  } catch {
    return false;
  }
})();

describe('FileSink.copyRange', () => {
  it('copies a FileSource range in the kernel, and declines a source it cannot copy from', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vmcore-bytes-'));
    const input = join(dir, 'in.bin');
    const bytes = new Uint8Array(1 << 20).map((_, i) => (i * 7) & 0xff);
    await writeFile(input, bytes);
    const source = await FileSource.open(input);
    const sink = await FileSink.create(join(dir, 'out.bin'));
    await sink.write(new Uint8Array([9, 9]));
    expect(await sink.copyRange(new MemorySource(bytes), 0, 16, 2)).toBe(false);
    const copied = await sink.copyFrom(source, 100, 4096);
    // The kernel copy needs the optional addon (@vmcore/compress-native, built where its libraries are).
    expect(copied).toBe(addonBuilt && process.env.VMCORE_NO_NATIVE !== '1');
    if (copied) await sink.write(new Uint8Array([1]));
    else await sink.write(new Uint8Array([...bytes.subarray(100, 4196), 1]));
    await sink.commit();
    await source.close();
    const out = new Uint8Array(await readFile(join(dir, 'out.bin')));
    expect(out.length).toBe(2 + 4096 + 1);
    expect(Buffer.compare(out.subarray(2, 4098), bytes.subarray(100, 4196))).toBe(0);
    expect(out[4098]).toBe(1);
  });
});

describe('FileSource', () => {
  it('refuses a character device, which cannot be read at random', async () => {
    await expect(FileSource.open('/dev/null')).rejects.toThrow(/not a regular file/);
  });
});

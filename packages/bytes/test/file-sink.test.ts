import { mkdtemp, readFile, readdir, stat } from 'node:fs/promises';
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

describe('FileSource', () => {
  it('refuses a character device, which cannot be read at random', async () => {
    await expect(FileSource.open('/dev/null')).rejects.toThrow(/not a regular file/);
  });
});

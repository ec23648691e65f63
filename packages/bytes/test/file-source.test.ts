import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSource } from '../src/node/index.js';

describe('FileSource reads', () => {
  let dir: string;
  let path: string;
  const content = Uint8Array.from({ length: 10000 }, (_, i) => (i * 7 + 3) & 0xff);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vmcore-bytes-'));
    path = join(dir, 'data.bin');
    await writeFile(path, content);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('read() returns a plain Uint8Array of exactly the bytes, short only at the end', async () => {
    const source = await FileSource.open(path);
    try {
      const bytes = await source.read(100, 5000);
      expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype);
      expect(bytes).toEqual(content.subarray(100, 5100));
      expect(await source.read(9990, 100)).toEqual(content.subarray(9990));
      expect((await source.read(20000, 10)).length).toBe(0);
    } finally {
      await source.close();
    }
  });

  it('readInto() fills the caller buffer in place and returns the count, short only at the end', async () => {
    const source = await FileSource.open(path);
    try {
      const target = new Uint8Array(4096).fill(0xee);
      expect(await source.readInto!(1000, target)).toBe(4096);
      expect(target).toEqual(content.subarray(1000, 5096));
      target.fill(0xee);
      expect(await source.readInto!(9000, target)).toBe(1000);
      expect(target.subarray(0, 1000)).toEqual(content.subarray(9000));
      expect(target[1000]).toBe(0xee);
      expect(await source.readInto!(20000, target)).toBe(0);
    } finally {
      await source.close();
    }
  });
});

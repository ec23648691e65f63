import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { MemorySink } from '@vmcore/bytes';
import { FlattenedSink } from '@vmcore/flat';
import { describe, expect, it } from 'vitest';
import { reassembleFlattened } from '../src/node/index.js';
import { listDir, tempDir } from './helpers.js';

async function flattened(): Promise<Uint8Array> {
  const out = new MemorySink();
  const sink = new FlattenedSink(out);
  await sink.write(8192, new Uint8Array([3, 3, 3]));
  await sink.write(0, new Uint8Array([1, 2]));
  await sink.finish();
  return out.bytesCopy();
}

describe('reassembleFlattened', () => {
  it('applies every record at its offset, like makedumpfile -R, from a file or a stream', async () => {
    const dir = await tempDir();
    const input = join(dir, 'in.flat');
    await writeFile(input, await flattened());
    await reassembleFlattened(input, join(dir, 'a.kdump'));
    await reassembleFlattened(Readable.from([Buffer.from(await flattened())]), join(dir, 'b.kdump'));
    for (const name of ['a.kdump', 'b.kdump']) {
      const out = await readFile(join(dir, name));
      expect(out.length).toBe(8195);
      expect([...out.subarray(0, 3)]).toEqual([1, 2, 0]);
      expect([...out.subarray(8192)]).toEqual([3, 3, 3]);
    }
  });

  it('leaves no output when the stream lacks its end marker', async () => {
    const dir = await tempDir();
    const bytes = await flattened();
    await expect(
      reassembleFlattened(Readable.from([Buffer.from(bytes.subarray(0, bytes.length - 16))]), join(dir, 'out.kdump')),
    ).rejects.toThrow(/end marker/);
    expect(await listDir(dir)).toEqual([]);
  });

  it('names a missing input file', async () => {
    const dir = await tempDir();
    await expect(reassembleFlattened(join(dir, 'nope.flat'), join(dir, 'out'))).rejects.toThrow(/nope\.flat/);
    expect(await listDir(dir)).toEqual([]);
  });
});

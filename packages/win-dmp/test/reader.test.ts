import { describe, expect, it } from 'vitest';
import { MemorySource } from '@vmcore/bytes';
import { WIN_DUMP_HEADER64, readWinDump } from '../src/index.js';

function header(runs: [number, number][], fill = 0): Uint8Array {
  const bytes = new Uint8Array(WIN_DUMP_HEADER64.size);
  WIN_DUMP_HEADER64.encode(
    {
      Signature: 'PAGE',
      ValidDump: 'DU64',
      NumberProcessors: 1,
      NumberOfRuns: runs.length,
      NumberOfPages: BigInt(runs.reduce((n, [, c]) => n + c, 0)),
    },
    'le',
    bytes,
  );
  const view = new DataView(bytes.buffer);
  runs.forEach(([base, count], i) => {
    view.setBigUint64(WIN_DUMP_HEADER64.offsets.Runs + i * 16, BigInt(base), true);
    view.setBigUint64(WIN_DUMP_HEADER64.offsets.Runs + i * 16 + 8, BigInt(count), true);
  });
  const out = new Uint8Array(bytes.length + runs.reduce((n, [, c]) => n + c * 4096, 0) - fill);
  out.set(bytes);
  return out;
}

describe('readWinDump on damaged files', () => {
  it('maps runs to file offsets after the header', async () => {
    const file = await readWinDump(
      new MemorySource(
        header([
          [1, 2],
          [0x100, 1],
        ]),
      ),
    );
    expect(file.extents).toEqual([
      { physAddr: 0x1000, size: 0x2000, fileOffset: 0x2000 },
      { physAddr: 0x100000, size: 0x1000, fileOffset: 0x4000 },
    ]);
  });

  it('refuses a file that ends inside a run, naming the run and the sizes', async () => {
    await expect(readWinDump(new MemorySource(header([[1, 2]], 1), 'cut.dmp'))).rejects.toMatchObject({
      code: 'VMCORE_TRUNCATED',
      message: expect.stringMatching(/^cut\.dmp: run 0 .* but the file has 0x3fff$/),
    });
  });

  it('refuses a truncated header and runs out of order', async () => {
    await expect(readWinDump(new MemorySource(header([]).subarray(0, 100)))).rejects.toMatchObject({ code: 'VMCORE_TRUNCATED' });
    await expect(
      readWinDump(
        new MemorySource(
          header([
            [0x100, 1],
            [1, 1],
          ]),
        ),
      ),
    ).rejects.toMatchObject({ code: 'VMCORE_CORRUPT' });
  });

  it('refuses a NumberOfRuns whose runs would lie beyond the header', async () => {
    const bytes = header([]);
    new DataView(bytes.buffer).setUint32(WIN_DUMP_HEADER64.offsets.NumberOfRuns, 0xffffffff, true);
    await expect(readWinDump(new MemorySource(bytes))).rejects.toMatchObject({
      code: 'VMCORE_CORRUPT',
      message: expect.stringContaining('NumberOfRuns is 4294967295'),
    });
  });

  it('refuses content that is not a Windows dump', async () => {
    await expect(readWinDump(new MemorySource(new Uint8Array(8192)))).rejects.toMatchObject({ code: 'VMCORE_BAD_MAGIC' });
  });
});

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRamDump } from '../src/node/index.js';
import { resolveMapFiles } from '../src/node/index.js';
import { tempDir } from './helpers.js';

describe('block map files', () => {
  it("resolves map file names against the map's folder", () => {
    expect(resolveMapFiles({ blocks: [{ file: 'ram.bin' }] }, '/maps')).toEqual({ blocks: [{ file: '/maps/ram.bin' }] });
  });

  it('lets one --ram file replace the only file of the map', () => {
    expect(resolveMapFiles({ machine: 'pc', ramSize: 1, file: 'a.img' }, '/m', ['/data/b.img'])).toMatchObject({ file: '/data/b.img' });
  });

  it('matches several --ram files by base name and refuses a stranger', () => {
    const map = { blocks: [{ file: 'low.img' }, { file: 'high.img' }] };
    expect(resolveMapFiles(map, '/m', ['/x/high.img', '/y/low.img'])).toEqual({
      blocks: [{ file: '/y/low.img' }, { file: '/x/high.img' }],
    });
    expect(() => resolveMapFiles(map, '/m', ['/x/other.img', '/y/low.img'])).toThrow(/other\.img matches no file of the block map/);
  });
});

describe('openRamDump', () => {
  it('reads guest RAM through a block map with relative file names', async () => {
    const dir = await tempDir();
    const ram = new Uint8Array(2 * 4096).fill(0xab);
    await writeFile(join(dir, 'ram.bin'), ram);
    await writeFile(
      join(dir, 'map.json'),
      JSON.stringify({ arch: 'x86_64', blocks: [{ start: 0x100000, size: 8192, file: 'ram.bin', offset: 0 }] }),
    );
    const guest = await openRamDump({ map: join(dir, 'map.json') });
    try {
      expect(guest.info).toMatchObject({ arch: 'x86_64', machine: 62 });
      expect(guest.blocks).toEqual([expect.objectContaining({ start: 0x100000, size: 8192 })]);
      expect([...(await guest.read(0x101000, 4))]).toEqual([0xab, 0xab, 0xab, 0xab]);
    } finally {
      await guest.close();
    }
  });

  it('takes the architecture from the option, else refuses a RAM guest that nothing names', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'ram.bin'), new Uint8Array(4096));
    await writeFile(join(dir, 'map.json'), JSON.stringify({ blocks: [{ start: 0x40000000, size: 4096, file: 'ram.bin', offset: 0 }] }));
    await expect(openRamDump({ map: join(dir, 'map.json') })).rejects.toThrow(/cannot tell the guest architecture.*pass --arch/);
    const guest = await openRamDump({ map: join(dir, 'map.json'), arch: 's390x' });
    try {
      expect(guest.info).toMatchObject({ arch: 's390x', machine: 22, endian: 'be', elfClass: 64 });
    } finally {
      await guest.close();
    }
    await expect(openRamDump({ map: join(dir, 'map.json'), arch: 'mips' })).rejects.toThrow(/unknown guest architecture "mips"/);
  });

  it('says which map is not JSON', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'map.json'), '{ blocks: ');
    await expect(openRamDump({ map: join(dir, 'map.json') })).rejects.toThrow(/map\.json is not JSON/);
  });
});

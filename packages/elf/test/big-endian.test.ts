import { describe, expect, it } from 'vitest';
import { MemorySource } from '@vmcore/bytes';
import { guestFromParts, type DumpInfo } from '@vmcore/guest-mem';
import { SHT_STRTAB, readElfCore } from '../src/index.js';
import { pattern, writeToMemory } from './helpers.js';

const S390X: DumpInfo = { elfClass: 64, endian: 'be', machine: 22, arch: 's390x', pageSize: 4096 };

async function s390xFile(): Promise<Uint8Array> {
  const ram = pattern(0x20000, 7);
  const guest = guestFromParts({
    info: S390X,
    parts: [{ start: 0, size: ram.length, source: new MemorySource(ram), offset: 0 }],
    cpuNotes: [{ name: 'CORE', type: 1, desc: new Uint8Array(336) }],
  });
  return writeToMemory(guest);
}

/** Offset and sh_type of section header `index` (e_shoff read big-endian). */
function shdr(file: Uint8Array, index: number, endian: 'le' | 'be') {
  const view = new DataView(file.buffer, file.byteOffset);
  const shoff = Number(view.getBigUint64(0x28, false));
  return { at: shoff + index * 64, type: view.getUint32(shoff + index * 64 + 4, endian === 'le') };
}

describe('big-endian ELF cores (s390x, ppc64)', () => {
  it('writes every header big-endian, the .shstrtab section header included', async () => {
    const file = await s390xFile();
    expect(file[5]).toBe(2);
    const { type } = shdr(file, 1, 'be');
    expect(type).toBe(SHT_STRTAB);
    const core = await readElfCore(new MemorySource(file));
    expect(core.sections[1]).toMatchObject({ nameText: '.shstrtab', type: SHT_STRTAB });
    expect(core.sections[1]!.headerEndian).toBeUndefined();
    expect(core.notes.map((n) => n.name)).toEqual(['CORE']);
  });

  it("reads QEMU 7.2's files, whose .shstrtab section header is little-endian (host order) in a big-endian file", async () => {
    const file = await s390xFile();
    const { at } = shdr(file, 1, 'be');
    // rewrite section 1 the way dump.c prepare_elf_section_hdr_string() does on an x86 host
    const view = new DataView(file.buffer, file.byteOffset);
    const fields = [
      [0, 4],
      [4, 4],
      [8, 8],
      [16, 8],
      [24, 8],
      [32, 8],
      [40, 4],
      [44, 4],
      [48, 8],
      [56, 8],
    ] as const;
    for (const [off, size] of fields) {
      if (size === 4) view.setUint32(at + off, view.getUint32(at + off, false), true);
      else view.setBigUint64(at + off, view.getBigUint64(at + off, false), true);
    }
    const core = await readElfCore(new MemorySource(file, 'qemu-s390x.elf'));
    expect(core.sections[1]).toMatchObject({ nameText: '.shstrtab', type: SHT_STRTAB, headerEndian: 'le' });
    expect(core.loads).toHaveLength(1);
    expect(await core.readPhysical(0x1000, 16)).toEqual(pattern(0x20000, 7).subarray(0x1000, 0x1010));
  });

  it('still refuses a section header that fits the file in neither byte order', async () => {
    const file = await s390xFile();
    const { at } = shdr(file, 1, 'be');
    new DataView(file.buffer, file.byteOffset).setBigUint64(at + 24, 0xe00a002000000000n, false);
    await expect(readElfCore(new MemorySource(file, 'bad.elf'))).rejects.toThrow(/section 1 sh_offset/);
  });
});

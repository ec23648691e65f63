import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSource } from '@vmcore/bytes/node';
import { readElfCore } from '@vmcore/elf';
import { readKdump } from '@vmcore/kdump';
import { makedumpfileDmesg, referenceGuest, type ReferenceGuest } from '@vmcore/qemu-guest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vmcore } from './run.js';

// A guest booted WITHOUT -device vmcoreinfo: QEMU's dumps carry no VMCOREINFO note, so
// makedumpfile, libkdumpfile and drgn cannot use them. Ours find the kernel's note in guest
// memory, add it, and take phys_base from it.
let ref: ReferenceGuest;
let dir: string;

beforeAll(async () => {
  ref = await referenceGuest({ vmcoreinfo: false });
  dir = await mkdtemp(join(tmpdir(), 'vmcore-cli-novmci-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function noteNames(path: string): Promise<string[]> {
  const source = await FileSource.open(path);
  try {
    return (await readElfCore(source)).notes.map((n) => n.name);
  } finally {
    await source.close();
  }
}

describe('a guest without -device vmcoreinfo', () => {
  it("has no VMCOREINFO note in QEMU's own ELF", async () => {
    expect(await noteNames(ref.qemuElf)).not.toContain('VMCOREINFO');
  });

  it('converts to an ELF that carries the kernel note found in guest memory', async () => {
    const out = join(dir, 'ours.elf');
    const ran = await vmcore(['convert', ref.qemuElf, out, '--format', 'elf']);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toMatch(/found the kernel's note in guest memory at 0x[0-9a-f]+ and added it/);
    const names = await noteNames(out);
    expect(names.at(-1)).toBe('VMCOREINFO');
    expect(await makedumpfileDmesg(out)).toContain(ref.marker);
  });

  it("converts to a kdump whose phys_base is the guest's own and which makedumpfile reads", async () => {
    const out = join(dir, 'ours.kdump');
    const ran = await vmcore(['convert', ref.qemuElf, out, '--format', 'kdump-raw-zlib']);
    expect(ran.code, ran.stderr).toBe(0);
    const source = await FileSource.open(out);
    try {
      const kdump = await readKdump(source);
      expect(new TextDecoder().decode(kdump.vmcoreinfo!)).toContain('OSRELEASE=');
      expect(kdump.subHeader.physBase).toBe(BigInt.asUintN(64, BigInt(ref.facts.physBase)));
    } finally {
      await source.close();
    }
    expect(await makedumpfileDmesg(out)).toContain(ref.marker);
  });
});

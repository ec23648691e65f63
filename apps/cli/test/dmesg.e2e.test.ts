import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makedumpfileDmesg, referenceGuest, type ReferenceGuest, type ReferenceGuestOptions } from '@vmcore/qemu-guest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vmcore } from './run.js';

// `vmcore dmesg` against makedumpfile 1.7.2's --dump-dmesg on the real guests, compared as files.
// makedumpfile cannot read QEMU 7.2's ELF (program headers after the section headers) nor a dump
// without VMCOREINFO, so its reference text comes from our own ELF of the same guest.
const VARIANTS: Array<{ name: string; options: ReferenceGuestOptions; formats: string[] }> = [
  { name: 'SeaBIOS', options: {}, formats: ['elf', 'kdump-zlib', 'kdump-raw-zlib', 'kdump-raw-lzo', 'kdump-raw-snappy'] },
  { name: 'OVMF', options: { firmware: 'ovmf' }, formats: ['elf', 'kdump-raw-zlib'] },
  { name: '4 GiB (RAM split around the PCI hole)', options: { memMiB: 4096 }, formats: ['kdump-raw-lzo'] },
  { name: 'no -device vmcoreinfo (VMCOREINFO found in guest memory)', options: { vmcoreinfo: false }, formats: ['elf', 'kdump-zlib'] },
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmcore-dmesg-e2e-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function dmesgOf(file: string, ...extra: string[]): Promise<string> {
  const ran = await vmcore(['dmesg', file, ...extra]);
  expect(ran.code, ran.stderr).toBe(0);
  return ran.stdout.toString('latin1');
}

for (const variant of VARIANTS) {
  describe(`vmcore dmesg on the ${variant.name} guest`, () => {
    let ref: ReferenceGuest;
    let expected: string;
    let tag: string;

    beforeAll(async () => {
      ref = await referenceGuest(variant.options);
      tag = ref.variant;
      const elf = join(dir, `${tag}-ours.elf`);
      const ran = await vmcore(['convert', ref.qemuElf, elf, '--format', 'elf', '--quiet']);
      expect(ran.code, ran.stderr).toBe(0);
      expected = await makedumpfileDmesg(elf);
    });

    it("prints exactly makedumpfile's --dump-dmesg text, with the guest's marker line, from QEMU 7.2's ELF", async () => {
      expect(expected).toMatch(new RegExp(`^\\[ *\\d+\\.\\d{6}\\] VMCORE-MARKER ${ref.marker}$`, 'm'));
      expect(await dmesgOf(ref.qemuElf)).toBe(expected);
    });

    it("prints the same text from QEMU's kdump file", async () => {
      expect(await dmesgOf(ref.qemuKdumpZlibRaw)).toBe(expected);
      expect(await dmesgOf(ref.qemuKdumpZlib)).toBe(expected);
    }, 120_000);

    it(`prints the same text from every format we write (${variant.formats.join(', ')})`, async () => {
      for (const format of variant.formats) {
        const out = join(dir, `${tag}.${format}`);
        const ran = await vmcore(['convert', ref.qemuElf, out, '--format', format, '--quiet']);
        expect(ran.code, ran.stderr).toBe(0);
        expect(await dmesgOf(out), format).toBe(expected);
        await rm(out, { force: true });
      }
    }, 600_000);

    it('prints one JSON record per line with the same texts', async () => {
      const lines = (await dmesgOf(ref.qemuElf, '--json')).trimEnd().split('\n');
      const records = lines.map(
        (l) => JSON.parse(l) as { sequence: number; timestamp: number; level: number; facility: number; text: string; caller?: string },
      );
      expect(records.length).toBe(expected.match(/^\[/gm)!.length);
      const marker = records.find((r) => r.text === `VMCORE-MARKER ${ref.marker}`);
      // written to /dev/kmsg by the guest's /init: facility user (1), default level warning (4), a task caller
      expect(marker).toMatchObject({ facility: 1, level: 4 });
      expect(marker!.caller).toMatch(/^T\d+$/);
      for (let i = 1; i < records.length; i++) expect(records[i]!.sequence).toBeGreaterThan(records[i - 1]!.sequence);
    });
  });
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSink, FileSource } from '@vmcore/bytes/node';
import { openRamGuest, type Filter, type GuestMemory } from '@vmcore/guest-mem';
import { makedumpfileDmesg, referenceGuest, verifyPagesWithLibkdumpfile, type ReferenceGuest } from '@vmcore/qemu-guest';
import { PN_XNUM, openElfGuest, readElfCore, writeElfCore, type ElfCore } from '../src/index.js';

const CHUNK = 4 << 20;

async function writeFromQemuElf(qemuElf: string, out: string, filter?: Filter): Promise<void> {
  const guest = await openElfGuest(await FileSource.open(qemuElf));
  const sink = await FileSink.create(out);
  try {
    await writeElfCore(guest, sink, filter ? { filter } : {});
    await sink.commit();
  } catch (error) {
    await sink.abort();
    throw error;
  } finally {
    await guest.close();
  }
}

/** Headers, sections and notes of a file (parsed eagerly, so the file is closed again). */
async function core(path: string): Promise<ElfCore> {
  const source = await FileSource.open(path);
  try {
    return await readElfCore(source);
  } finally {
    await source.close();
  }
}

/** First differing offset of two files from `from` on, or -1 when equal (sizes included). */
async function firstDifference(a: string, b: string, from: number): Promise<number> {
  const [fa, fb] = [await FileSource.open(a), await FileSource.open(b)];
  try {
    if (fa.size !== fb.size) return Math.min(fa.size, fb.size);
    for (let at = from; at < fa.size; at += CHUNK) {
      const [x, y] = [await fa.read(at, CHUNK), await fb.read(at, CHUNK)];
      if (!Buffer.from(x).equals(Buffer.from(y))) {
        for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return at + i;
      }
    }
    return -1;
  } finally {
    await fa.close();
    await fb.close();
  }
}

const phdrs = (c: ElfCore) => c.programHeaders.map(({ index: _index, ...ph }) => ph);

describe.each(['seabios', 'ovmf'] as const)('QEMU 7.2 reference guest (%s)', (firmware) => {
  let ref: ReferenceGuest;
  let tmp: string;
  let ours: string;

  beforeAll(async () => {
    ref = await referenceGuest({ firmware });
    tmp = mkdtempSync(join(tmpdir(), `vmcore-elf-e2e-${firmware}-`));
    ours = join(tmp, 'ours.elf');
    await writeFromQemuElf(ref.qemuElf, ours);
  }, 900_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  describe("ELF written from QEMU 7.2's own paging=false dump", () => {
    it("has QEMU's program headers: same order, offsets, addresses and sizes", async () => {
      const [q, o] = [await core(ref.qemuElf), await core(ours)];
      expect(q.loads.length).toBeGreaterThan(0);
      expect(phdrs(o)).toEqual(phdrs(q));
    });

    it('differs only in e_phoff, e_shoff, e_ehsize and header placement; notes, memory and .shstrtab are identical', async () => {
      const [q, o] = [await core(ref.qemuElf), await core(ours)];
      const { phoff: qp, shoff: qs, ehsize: qe, ...qRest } = q.header;
      const { phoff: op, shoff: os, ehsize: oe, ...oRest } = o.header;
      expect(oRest).toEqual(qRest);
      expect([qe, qs, qp]).toEqual([8, 64n, 64n + BigInt(q.header.shdrCount * 64)]);
      expect([oe, op, os]).toEqual([64, 64n, 64n + BigInt(o.header.phdrCount * 56)]);
      expect(o.sections.map(({ index: _i, ...s }) => s)).toEqual(q.sections.map(({ index: _i, ...s }) => s));
      expect(o.notes.map((n) => n.raw)).toEqual(q.notes.map((n) => n.raw));
      const notesOffset = Number(q.programHeaders[0]!.offset);
      expect(statSync(ours).size).toBe(statSync(ref.qemuElf).size);
      expect(await firstDifference(ref.qemuElf, ours, notesOffset)).toBe(-1);
    });

    it('sees the CPUs and the VMCOREINFO note of the guest', async () => {
      const guest = await openElfGuest(await FileSource.open(ref.qemuElf));
      try {
        expect(guest.nrCpus).toBe(2);
        expect(guest.cpuNotes.map((n) => `${n.name}/${n.desc.length}`)).toEqual(['CORE/336', 'CORE/336', 'QEMU/440', 'QEMU/440']);
        expect(new TextDecoder().decode(guest.guestNote!.subarray(12, 22))).toBe('VMCOREINFO');
      } finally {
        await guest.close();
      }
    });

    it('gives makedumpfile --dump-dmesg the guest log with the marker line', async () => {
      const dmesg = await makedumpfileDmesg(ours);
      expect(dmesg).toContain(`VMCORE-MARKER ${ref.marker}`);
    }, 300_000);

    it('opens in gdb without complaint', () => {
      const r = spawnSync('gdb', ['-nx', '-batch', '-ex', 'info files', '-c', ours], { encoding: 'utf8', timeout: 120_000 });
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('file type elf64-x86-64');
      expect(r.stdout).toMatch(/0x0000000000000000 - 0x00000000000c0000 is load1|0x0000000000000000 - 0x0000000020000000 is load1/);
      expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/warning|error|not in executable format|truncated/i);
    });

    it('reads every page equal to the RAM file through libkdumpfile', async () => {
      const result = await verifyPagesWithLibkdumpfile(ours, ref.ramFile, ref.mapFile);
      expect(result.mismatches).toBe(0);
      expect(result.unreadable).toBe(0);
      const ramPages = ref.blocks.reduce((n, b) => n + b.size / 4096, 0);
      expect(result.pages).toBe(ramPages);
    }, 900_000);
  });

  describe("filtered ELF written from QEMU's unfiltered dump", () => {
    it("equals each of QEMU's filtered dumps in program headers and every byte from the notes on", async () => {
      expect(ref.qemuElfFiltered.length).toBeGreaterThan(0);
      for (const filtered of ref.qemuElfFiltered) {
        const out = join(tmp, `filtered-${filtered.begin.toString(16)}.elf`);
        await writeFromQemuElf(ref.qemuElf, out, { begin: filtered.begin, length: filtered.length });
        const [q, o] = [await core(filtered.file), await core(out)];
        expect(phdrs(o), `filter ${filtered.begin}+${filtered.length}`).toEqual(phdrs(q));
        expect(await firstDifference(filtered.file, out, Number(q.programHeaders[0]!.offset))).toBe(-1);
        rmSync(out);
      }
    });
  });

  describe('guest from the RAM file and map.json', () => {
    it("holds the same memory as QEMU's ELF for every RAM-file block, and the same notes", async () => {
      const elfGuest = await openElfGuest(await FileSource.open(ref.qemuElf));
      const ramGuest: GuestMemory = await openRamGuest({
        map: JSON.parse(readFileSync(ref.mapFile, 'utf8')),
        cpuNotes: elfGuest.cpuNotes,
        ...(elfGuest.guestNote ? { guestNote: elfGuest.guestNote } : {}),
      });
      try {
        expect(ramGuest.blocks.length).toBeGreaterThan(0);
        for (const block of ramGuest.blocks) {
          for await (const chunk of ramGuest.chunks({ filter: { begin: block.start, length: block.size } })) {
            const fromElf = await elfGuest.read(chunk.physAddr, chunk.bytes.length);
            expect(Buffer.from(chunk.bytes).equals(Buffer.from(fromElf)), `at 0x${chunk.physAddr.toString(16)}`).toBe(true);
          }
        }
        const out = join(tmp, 'from-ram.elf');
        const sink = await FileSink.create(out);
        await writeElfCore(ramGuest, sink);
        await sink.commit();
        const [q, o] = [await core(ref.qemuElf), await core(out)];
        expect(o.notes.map((n) => n.raw)).toEqual(q.notes.map((n) => n.raw));
        rmSync(out);
      } finally {
        await ramGuest.close();
        await elfGuest.close();
      }
    });
  });

  describe("QEMU's paging=true dump", () => {
    it('is read through PN_XNUM with overlapping PT_LOADs that agree with the RAM file', async () => {
      const c = await core(ref.qemuElfPaging);
      expect(c.header.phnum).toBe(PN_XNUM);
      expect(c.header.phdrCount).toBeGreaterThan(0xffff);
      const guest = await openElfGuest(await FileSource.open(ref.qemuElfPaging));
      const ram = await FileSource.open(ref.ramFile);
      try {
        const inRam = c.loads.filter((l) => l.fileSize > 0 && l.physAddr + l.fileSize <= ram.size);
        const step = Math.max(1, Math.floor(inRam.length / 500));
        for (let i = 0; i < inRam.length; i += step) {
          const load = inRam[i]!;
          const n = Math.min(load.fileSize, 4096);
          const bytes = await guest.read(load.physAddr, n);
          expect(Buffer.from(bytes).equals(Buffer.from(await ram.read(load.physAddr, n))), `PT_LOAD ${load.index}`).toBe(true);
        }
      } finally {
        await ram.close();
        await guest.close();
      }
    });
  });
});

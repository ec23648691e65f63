import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSource } from '@vmcore/bytes/node';
import { verifyGuest } from '@vmcore/dump';
import { openGuest } from '@vmcore/dump/node';
import { PT_LOAD, readElfCore, type ElfCore } from '@vmcore/elf';
import { referenceGuest, verifyPagesWithLibkdumpfile, type ReferenceGuest } from '@vmcore/qemu-guest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN, vmcore } from './run.js';

let ref: ReferenceGuest;
let dir: string;

beforeAll(async () => {
  ref = await referenceGuest();
  dir = await mkdtemp(join(tmpdir(), 'vmcore-cli-e2e-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function withCore<T>(path: string, use: (core: ElfCore) => Promise<T>): Promise<T> {
  const source = await FileSource.open(path);
  try {
    return await use(await readElfCore(source));
  } finally {
    await source.close();
  }
}

/** Program headers without p_offset, which moves with the header layout. */
function phdrsWithoutOffsets(core: ElfCore) {
  return core.programHeaders.map(({ type, flags, vaddr, paddr, filesz, memsz, align }) => ({
    type,
    flags,
    vaddr,
    paddr,
    filesz,
    memsz,
    align,
  }));
}

function notesOf(core: ElfCore) {
  return core.notes.map((n) => ({ name: n.name, type: n.type, desc: Buffer.from(n.desc).toString('hex') }));
}

/** Compares the file bytes of every PT_LOAD pair, chunk by chunk (4 MiB at a time). */
async function sameLoadBytes(ours: ElfCore, theirs: ElfCore, keep: (paddr: bigint) => boolean): Promise<number> {
  const a = ours.loads;
  const b = theirs.loads.filter((l) => keep(BigInt(l.physAddr)));
  expect(a.length).toBe(b.length);
  let compared = 0;
  for (let i = 0; i < a.length; i++) {
    expect(a[i]!.fileSize).toBe(b[i]!.fileSize);
    const left = ours.segmentChunks(a[i]!)[Symbol.asyncIterator]();
    const right = theirs.segmentChunks(b[i]!)[Symbol.asyncIterator]();
    let pendingL: Uint8Array = new Uint8Array(0);
    let pendingR: Uint8Array = new Uint8Array(0);
    for (;;) {
      if (pendingL.length === 0) {
        const n = await left.next();
        if (!n.done) pendingL = n.value;
      }
      if (pendingR.length === 0) {
        const n = await right.next();
        if (!n.done) pendingR = n.value;
      }
      if (pendingL.length === 0 && pendingR.length === 0) break;
      const len = Math.min(pendingL.length, pendingR.length);
      expect(len, `PT_LOAD ${i}: one side ended early`).toBeGreaterThan(0);
      if (Buffer.compare(pendingL.subarray(0, len), pendingR.subarray(0, len)) !== 0) {
        throw new Error(`PT_LOAD ${i} (paddr 0x${a[i]!.physAddr.toString(16)}) differs near offset ${compared}`);
      }
      compared += len;
      pendingL = pendingL.subarray(len);
      pendingR = pendingR.subarray(len);
    }
  }
  return compared;
}

describe('vmcore against QEMU 7.2 dumps of a real guest', () => {
  it("converts QEMU's paging=false ELF to elf with the same program headers, notes and memory", async () => {
    const out = join(dir, 'converted.elf');
    const ran = await vmcore(['convert', ref.qemuElf, out, '--format', 'elf', '-q']);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    await withCore(out, (ours) =>
      withCore(ref.qemuElf, async (qemu) => {
        // Documented difference: program headers right after the ELF header and a true e_ehsize,
        // where QEMU 7.2 puts them after the section headers and writes e_ehsize 8.
        expect(qemu.header.ehsize).toBe(8);
        expect(ours.header.ehsize).toBe(64);
        expect(ours.header.phoff).toBe(64n);
        for (const field of ['machine', 'type', 'version', 'entry', 'flags', 'phentsize'] as const) {
          expect(ours.header[field], field).toEqual(qemu.header[field]);
        }
        expect(ours.header.elfClass).toBe(qemu.header.elfClass);
        expect(ours.header.endian).toBe(qemu.header.endian);
        expect(phdrsWithoutOffsets(ours)).toEqual(phdrsWithoutOffsets(qemu));
        expect(notesOf(ours)).toEqual(notesOf(qemu));
        expect(await sameLoadBytes(ours, qemu, () => true)).toBe(ref.physMap.reduce((s, b) => s + b.size, 0));
      }),
    );
  });

  it("dumps the RAM file + map with notes from QEMU's ELF identically, minus the ROM blocks the RAM file lacks", async () => {
    const out = join(dir, 'from-ram.elf');
    const ran = await vmcore([
      'dump',
      '--ram',
      ref.ramFile,
      '--map',
      ref.mapFile,
      '--notes-from',
      ref.qemuElf,
      '--format',
      'elf',
      '-q',
      out,
    ]);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    // Decision: blocks outside the RAM file (pc.bios at 0xfffc0000) are not in the map, so they
    // are dropped; everything else must match QEMU's dump.
    const inRam = (paddr: bigint) => ref.blocks.some((b) => paddr >= BigInt(b.start) && paddr < BigInt(b.start + b.size));
    const dropped = ref.physMap.filter((b) => !b.inRamFile).map((b) => b.name);
    expect(dropped).toEqual(['pc.bios']);
    await withCore(out, (ours) =>
      withCore(ref.qemuElf, async (qemu) => {
        const qemuPhdrs = phdrsWithoutOffsets(qemu).filter((p) => p.type !== PT_LOAD || inRam(p.paddr));
        const ourPhdrs = phdrsWithoutOffsets(ours);
        // PT_NOTE's size is the same notes; PT_LOADs are QEMU's for the RAM-file blocks.
        expect(ourPhdrs).toEqual(qemuPhdrs);
        expect(notesOf(ours)).toEqual(notesOf(qemu));
        expect(await sameLoadBytes(ours, qemu, inRam)).toBe(ref.blocks.reduce((s, b) => s + b.size, 0));
      }),
    );
  });

  it('streams kdump-zlib to stdout that makedumpfile -R reassembles into a dump libkdumpfile reads', async () => {
    const out = join(dir, 'makedumpfile-R.kdump');
    const status = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn(
        'bash',
        [
          '-o',
          'pipefail',
          '-c',
          `'${process.execPath}' '${MAIN}' convert '${ref.qemuElf}' - --format kdump-zlib -q | makedumpfile -R '${out}'`,
        ],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, output }));
    });
    expect(status.output).toContain('makedumpfile Completed');
    expect(status.output).not.toContain('vmcore:');
    expect(status.code).toBe(0);
    // libkdumpfile's physical reads need arch.name set by hand here, for QEMU's own kdump file too.
    const pages = await verifyPagesWithLibkdumpfile(out, ref.ramFile, ref.mapFile, { arch: 'x86_64' });
    expect(pages).toMatchObject({ mismatches: 0, unreadable: 0 });
    expect(pages.pages).toBe(ref.blocks.reduce((s, b) => s + b.size, 0) / 4096);
    const source = await openGuest(ref.qemuElf);
    const back = await openGuest(out);
    try {
      expect(await verifyGuest(source, back)).toMatchObject({ mismatchedPages: 0, notesMatch: true });
    } finally {
      await back.close();
      await source.close();
    }
  });

  it("shows the guest's phys_base for QEMU's ELF and kdump, and QEMU's misparsed header value", async () => {
    const elf = JSON.parse((await vmcore(['info', ref.qemuElf, '--json'])).stdout.toString());
    const kdump = JSON.parse((await vmcore(['info', ref.qemuKdumpZlib, '--json'])).stdout.toString());
    // The kernel writes NUMBER(phys_base) in signed decimal; the right u64 is its two's complement.
    const number = /^NUMBER\(phys_base\)=(-?\d+)$/m.exec(elf.vmcoreinfo.text)?.[1];
    expect(number).toBeDefined();
    const expected = `0x${BigInt.asUintN(64, BigInt(number!)).toString(16)}`;
    expect(elf.physBase).toEqual({ value: expected, source: 'vmcoreinfo' });
    expect(kdump.physBase).toEqual({ value: expected, source: 'vmcoreinfo' });
    // QEMU 7.2 parses the decimal as hex for the kdump sub-header (REFERENCE.md).
    const qemuHeader = `0x${BigInt.asUintN(64, -BigInt(`0x${number!.replace('-', '')}`)).toString(16)}`;
    expect(kdump.kdump.headerPhysBase).toBe(number!.startsWith('-') ? qemuHeader : `0x${BigInt(`0x${number}`).toString(16)}`);
    expect(kdump.kdump).toMatchObject({ flattened: true, codec: 'zlib', headerVersion: 6 });
    expect(elf.vmcoreinfo.osrelease).toBe(ref.facts.kernelRelease);
    expect(kdump.vmcoreinfo.osrelease).toBe(ref.facts.kernelRelease);
  });

  it('finds the VMCOREINFO note in guest RAM from the fw_cfg address, as QEMU does, and writes it into a kdump file', async () => {
    const out = join(dir, 'from-ram-vmcoreinfo.kdump');
    const ran = await vmcore([
      'dump',
      '--ram',
      ref.ramFile,
      '--map',
      ref.mapFile,
      '--vmcoreinfo-paddr',
      String(ref.facts.vmcoreinfoPaddr),
      '--vmcoreinfo-size',
      String(ref.facts.vmcoreinfoSize),
      '--format',
      'kdump-raw-zlib',
      '-q',
      out,
    ]);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    const ours = await openGuest(out);
    const qemu = await openGuest(ref.qemuElf);
    try {
      expect(Buffer.from(ours.guestNote!).equals(Buffer.from(qemu.guestNote!))).toBe(true);
    } finally {
      await ours.close();
      await qemu.close();
    }
    const info = JSON.parse((await vmcore(['info', out, '--json'])).stdout.toString());
    expect(info.kdump.headerPhysBase).toBe(info.physBase.value);
    expect(info.physBase.source).toBe('vmcoreinfo');
  });

  it("matches QEMU's begin/length filtered ELF dumps", async () => {
    expect(ref.qemuElfFiltered.length).toBeGreaterThan(0);
    for (const filtered of ref.qemuElfFiltered) {
      const out = join(dir, `filtered-${filtered.begin}.elf`);
      const ran = await vmcore([
        'convert',
        ref.qemuElf,
        out,
        '--format',
        'elf',
        '--begin',
        `0x${filtered.begin.toString(16)}`,
        '--length',
        String(filtered.length),
        '-q',
      ]);
      expect(ran.stderr).toBe('');
      expect(ran.code).toBe(0);
      await withCore(out, (ours) =>
        withCore(filtered.file, async (qemu) => {
          expect(phdrsWithoutOffsets(ours)).toEqual(phdrsWithoutOffsets(qemu));
          expect(notesOf(ours)).toEqual(notesOf(qemu));
          await sameLoadBytes(ours, qemu, () => true);
        }),
      );
    }
  });

  it('removes the partial output and exits 130 when interrupted', async () => {
    const outDir = await mkdtemp(join(dir, 'sigint-'));
    const child = spawn(process.execPath, [MAIN, 'convert', ref.qemuElf, join(outDir, 'out.kdump'), '--format', 'kdump-raw-zlib', '-q'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // Interrupt once the partial file exists, i.e. mid-dump.
    for (let i = 0; i < 200 && (await readdir(outDir)).length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await readdir(outDir)).toHaveLength(1);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    expect(stderr).toMatch(/^vmcore: dump cancelled: interrupted by SIGINT\n$/);
    expect(await readdir(outDir)).toEqual([]);
  });

  it("converts with --paging to QEMU's paging=true ELF: same PT_LOADs (virtual addresses from the page tables), notes and memory", async () => {
    const out = join(dir, 'paging.elf');
    const ran = await vmcore(['convert', ref.qemuElf, out, '--format', 'elf', '--paging', '-q']);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    await withCore(out, (ours) =>
      withCore(ref.qemuElfPaging, async (qemu) => {
        expect(qemu.loads.length).toBeGreaterThan(1000);
        expect(phdrsWithoutOffsets(ours)).toEqual(phdrsWithoutOffsets(qemu));
        expect(notesOf(ours)).toEqual(notesOf(qemu));
        await sameLoadBytes(ours, qemu, () => true);
      }),
    );
  });
});

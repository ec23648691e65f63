import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FileSource } from '@vmcore/bytes/node';
import { verifyGuest } from '@vmcore/dump';
import { openGuest, openRamDump } from '@vmcore/dump/node';
import { KdumpSubHeader64, readKdump, type KdumpFile } from '@vmcore/kdump';
import { archByName, kernelImageVirtToPhys } from '@vmcore/guest-mem';
import { parseVmcoreinfo } from '@vmcore/vmcoreinfo';
import {
  findInKernelLogWithLibkdumpfile,
  readElfNotes,
  referenceGuest,
  verifyPagesWithLibkdumpfile,
  type GuestArch,
  type ReferenceGuest,
} from '@vmcore/qemu-guest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vmcore } from './run.js';

const execFileAsync = promisify(execFile);

/**
 * Non-x86 guests (issue 11): Debian 6.1 kernels under TCG, dumped by QEMU 7.2. One reference set
 * per architecture, built once and cached (tools/qemu-guest).
 */
interface ArchExpectation {
  arch: Exclude<GuestArch, 'x86_64'>;
  machine: number;
  endian: 'le' | 'be';
  /** QEMU's ELF class: i386 on `-machine pc` is ELF64 because pc.bios ends at 4 GiB. */
  elfClass: 32 | 64;
  /** QEMU's dump page size (aarch64: its 64 KiB maximum) and the kernel's PAGESIZE. */
  qemuPageSize: number;
  kernelPageSize: number;
  /** phys_base as the guest's kernel has it, and where we take it from. */
  physBase: bigint;
  physBaseSource: string;
  /** Whether QEMU's dumps carry the VMCOREINFO note (s390x has no fw_cfg). */
  qemuHasVmcoreinfo: boolean;
  /** Whether the CPU notes hold a page-table base (else VMCOREINFO's swapper_pg_dir is shown). */
  cpuPageTables: boolean;
  utsMachine: string;
  /**
   * Whether libkdumpfile 0.5 follows the kernel's virtual addresses of this guest. Its ia32 code
   * fails on Debian's non-PAE 686 kernel ("Cannot read 32-bit PTE … Infinite recursion loop"),
   * on QEMU's own ELF as on ours, for a cause in libkdumpfile (see the test); physical reads work.
   */
  libkdumpfileVirtual: boolean;
}

const ARCHES: ArchExpectation[] = [
  {
    arch: 'aarch64',
    machine: 183,
    endian: 'le',
    elfClass: 64,
    qemuPageSize: 65536,
    kernelPageSize: 4096,
    physBase: 0x40000000n,
    physBaseSource: 'vmcoreinfo',
    qemuHasVmcoreinfo: true,
    cpuPageTables: false,
    utsMachine: 'aarch64',
    libkdumpfileVirtual: true,
  },
  {
    arch: 'i386',
    machine: 3,
    endian: 'le',
    elfClass: 64,
    qemuPageSize: 4096,
    kernelPageSize: 4096,
    physBase: 0n,
    physBaseSource: 'architecture',
    qemuHasVmcoreinfo: true,
    cpuPageTables: true,
    utsMachine: 'i686',
    libkdumpfileVirtual: false,
  },
  {
    arch: 's390x',
    machine: 22,
    endian: 'be',
    elfClass: 64,
    qemuPageSize: 4096,
    kernelPageSize: 4096,
    physBase: 0n,
    physBaseSource: 'architecture',
    qemuHasVmcoreinfo: false,
    cpuPageTables: true,
    utsMachine: 's390x',
    libkdumpfileVirtual: true,
  },
];

const KDUMP_FORMATS = ['kdump-zlib', 'kdump-lzo', 'kdump-snappy', 'kdump-raw-zlib', 'kdump-raw-lzo', 'kdump-raw-snappy'] as const;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmcore-arch-e2e-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function info(file: string): Promise<Record<string, any>> {
  const ran = await vmcore(['info', file, '--json']);
  expect(ran.stderr).toBe('');
  expect(ran.code).toBe(0);
  return JSON.parse(ran.stdout.toString()) as Record<string, any>;
}

async function withKdump<T>(path: string, use: (file: KdumpFile) => Promise<T>): Promise<T> {
  const source = await FileSource.open(path);
  try {
    return await use(await readKdump(source));
  } finally {
    await source.close();
  }
}

describe.each(ARCHES)('$arch guest dumped by QEMU 7.2', (x) => {
  let ref: ReferenceGuest;
  let ram: Awaited<ReturnType<typeof openRamDump>>;
  beforeAll(async () => {
    ref = await referenceGuest({ arch: x.arch });
    ram = await openRamDump({ map: ref.mapFile });
  }, 1_800_000);
  afterAll(async () => {
    await ram?.close();
  });

  it("describes QEMU's ELF and kdump: machine, byte order, class, CPUs with registers, page size, VMCOREINFO, phys_base", async () => {
    // the arch layer says what QEMU's files say
    expect(archByName(x.arch)).toMatchObject({ machine: x.machine, endians: [x.endian] });
    for (const file of [ref.qemuElf, ref.qemuKdumpZlib, ref.qemuKdumpZlibRaw]) {
      const d = await info(file);
      expect(d, file).toMatchObject({
        arch: x.arch,
        machine: x.machine,
        endian: x.endian,
        elfClass: x.elfClass,
        pageSize: x.qemuPageSize,
        nrCpus: 2,
      });
      expect(d.cpus).toHaveLength(2);
      for (const cpu of d.cpus) {
        expect(cpu.pc, `${file} CPU ${cpu.cpu} pc`).toMatch(/^0x[0-9a-f]+$/);
        expect(cpu.sp, `${file} CPU ${cpu.cpu} sp`).toMatch(/^0x[0-9a-f]+$/);
        if (x.cpuPageTables) expect(cpu.pageTableBase.value).toMatch(/^0x[0-9a-f]+000$/);
      }
      if (!x.cpuPageTables)
        expect(d.kernelPageTable).toMatchObject({ symbol: 'swapper_pg_dir', phys: expect.stringMatching(/^0x[0-9a-f]+000$/) });
      expect(d.vmcoreinfo.osrelease).toBe(ref.facts.kernelRelease);
      expect(d.vmcoreinfo.pageSize).toBe(x.kernelPageSize);
      // s390x: not in QEMU's file (no fw_cfg), found in guest memory where the kernel keeps it
      if (x.qemuHasVmcoreinfo) expect(d.vmcoreinfo.foundAt).toBeUndefined();
      else expect(d.vmcoreinfo.foundAt).toBe(ref.facts.vmcoreinfoPaddr);
      expect(d.physBase).toEqual({ value: `0x${x.physBase.toString(16)}`, source: x.physBaseSource });
    }
  });

  it.each(['elf', ...KDUMP_FORMATS])(
    "converts QEMU's ELF and QEMU's kdump to %s: same notes, every page equal to the RAM file",
    async (format) => {
      for (const [tag, input] of [
        ['elf', ref.qemuElf],
        ['kdump', ref.qemuKdumpZlib],
      ] as const) {
        const out = join(dir, `${x.arch}-from-${tag}.${format}`);
        const ran = await vmcore(['convert', input, out, '--format', format, '-q']);
        expect(ran.code, ran.stderr).toBe(0);
        const source = await openGuest(input);
        const back = await openGuest(out);
        try {
          expect(back.info).toMatchObject({ arch: x.arch, machine: x.machine, endian: x.endian });
          // CPU notes byte for byte; the guest note too, except where QEMU had none and we add the
          // kernel's note found in memory (s390x)
          expect(back.cpuNotes).toEqual(source.cpuNotes);
          if (x.qemuHasVmcoreinfo) expect(Buffer.from(back.guestNote!).equals(Buffer.from(source.guestNote!))).toBe(true);
          else expect(Buffer.from(back.guestNote!).toString('latin1')).toContain(`OSRELEASE=${ref.facts.kernelRelease}\n`);
          const pages = await verifyGuest(ram, back);
          expect(pages).toMatchObject({ mismatchedPages: 0 });
          expect(pages.pages * ram.info.pageSize).toBe(ref.blocks.reduce((s, b) => s + b.size, 0));
        } finally {
          await back.close();
          await source.close();
        }
      }
    },
    600_000,
  );

  it("writes kdump headers equal to QEMU's except the documented fields", async () => {
    const out = join(dir, `${x.arch}-headers.kdump`);
    const ran = await vmcore(['convert', ref.qemuElf, out, '--format', 'kdump-raw-zlib', '-q']);
    expect(ran.code, ran.stderr).toBe(0);
    await withKdump(ref.qemuKdumpZlibRaw, (qemu) =>
      withKdump(out, async (ours) => {
        // Documented differences: a full utsname from the kernel's init_uts_ns (QEMU writes only a
        // machine, "Unknown" on aarch64); block_size = the kernel's PAGESIZE (QEMU: 65536 on
        // aarch64), which moves max_mapnr, bitmap_blocks and every offset with it; s390x: the
        // VMCOREINFO note found in memory, which QEMU lacks, changes the note sizes.
        expect(ours.header.utsname).toMatchObject({ sysname: 'Linux', release: ref.facts.kernelRelease, machine: x.utsMachine });
        expect(ours.header.utsname.version).toMatch(/^#1 SMP /);
        expect(qemu.header.blockSize).toBe(x.qemuPageSize);
        expect(ours.header.blockSize).toBe(x.kernelPageSize);
        const scale = x.qemuPageSize / x.kernelPageSize;
        for (const field of [
          'signature',
          'headerVersion',
          'status',
          'totalRamBlocks',
          'deviceBlocks',
          'writtenBlocks',
          'currentCpu',
          'nrCpus',
          'layout',
        ] as const) {
          expect(ours.header[field], field).toEqual(qemu.header[field]);
        }
        // sub_hdr_size: the blocks holding the sub header and the notes, on both sides
        for (const f of [ours, qemu])
          expect(f.header.subHdrSize).toBe(Math.ceil((KdumpSubHeader64.size + Number(f.subHeader.noteSize)) / f.header.blockSize));
        if (scale === 1 && x.qemuHasVmcoreinfo) expect(ours.header.subHdrSize).toBe(qemu.header.subHdrSize);
        expect(ours.header.maxMapnr).toBe(qemu.header.maxMapnr * scale);
        expect(ours.subHeader.maxMapnr64).toBe(qemu.subHeader.maxMapnr64 * BigInt(scale));
        expect(ours.subHeader.physBase).toBe(qemu.subHeader.physBase);
        expect(ours.subHeader.physBase).toBe(x.physBase);
        for (const field of [
          'dumpLevel',
          'split',
          'startPfn',
          'endPfn',
          'offsetEraseinfo',
          'sizeEraseinfo',
          'startPfn64',
          'endPfn64',
        ] as const) {
          expect(ours.subHeader[field], field).toEqual(qemu.subHeader[field]);
        }
        if (x.qemuHasVmcoreinfo) {
          expect(ours.subHeader.noteSize).toBe(qemu.subHeader.noteSize);
          expect(ours.subHeader.sizeVmcoreinfo).toBe(qemu.subHeader.sizeVmcoreinfo);
          if (scale === 1) expect(ours.subHeader.offsetVmcoreinfo).toBe(qemu.subHeader.offsetVmcoreinfo);
        } else {
          expect(qemu.subHeader.sizeVmcoreinfo).toBe(0n);
          expect(ours.subHeader.sizeVmcoreinfo).toBeGreaterThan(0n);
        }
      }),
    );
  }, 300_000);

  it('names the architecture of a RAM file without notes from the VMCOREINFO note in it, and refuses when nothing says', async () => {
    const out = join(dir, `${x.arch}-from-ram.kdump`);
    // the blocks alone (newer caches' map.json also names the arch, which would answer first)
    const blocksOnly = join(dir, `${x.arch}-blocks-only-map.json`);
    await writeFile(
      blocksOnly,
      JSON.stringify({ blocks: ref.blocks.map(({ start, size, file, offset }) => ({ start, size, file, offset })) }),
    );
    const ran = await vmcore(['dump', '--map', blocksOnly, '--format', 'kdump-raw-zlib', '-q', out]);
    expect(ran.code, ran.stderr).toBe(0);
    const d = await info(out);
    expect(d).toMatchObject({ arch: x.arch, machine: x.machine, endian: x.endian, pageSize: x.kernelPageSize, nrCpus: 0 });
    expect(d.vmcoreinfo.osrelease).toBe(ref.facts.kernelRelease);
    expect(d.kdump.utsMachine).toBe(x.utsMachine);
    // the first MiB of RAM holds no VMCOREINFO note: without --arch nothing names the machine
    const first = ref.blocks[0]!;
    const small = join(dir, `${x.arch}-small-map.json`);
    await writeFile(small, JSON.stringify({ blocks: [{ start: first.start, size: 1 << 20, file: first.file, offset: first.offset }] }));
    const refused = await vmcore(['dump', '--map', small, '--format', 'elf', '-q', join(dir, `${x.arch}-refused.elf`)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot tell the guest architecture.*pass --arch/);
    const named = await vmcore(['dump', '--map', small, '--arch', x.arch, '--format', 'elf', '-q', join(dir, `${x.arch}-named.elf`)]);
    expect(named.code, named.stderr).toBe(0);
    expect(await info(join(dir, `${x.arch}-named.elf`))).toMatchObject({ arch: x.arch, machine: x.machine, endian: x.endian });
  }, 300_000);

  it('gives libkdumpfile kdump files it reads page by page equal to the RAM file with no arch attribute set', async () => {
    for (const format of ['kdump-raw-zlib', 'kdump-raw-snappy'] as const) {
      const out = join(dir, `${x.arch}-libkdumpfile.${format}`);
      const ran = await vmcore(['convert', ref.qemuKdumpZlib, out, '--format', format, '-q']);
      expect(ran.code, ran.stderr).toBe(0);
      const r = await verifyPagesWithLibkdumpfile(out, ref.ramFile, ref.mapFile);
      expect(r).toMatchObject({ mismatches: 0, unreadable: 0, pages: ref.blocks.reduce((s, b) => s + b.size, 0) / 4096 });
      // only the OS type every format needs; no arch.name, no arch.page_size
      expect(Object.keys(r.attributes)).toEqual(['addrxlat.ostype']);
    }
  }, 600_000);

  it("reads the kernel log marker the guest wrote: vmcore dmesg on QEMU's files and ours, libkdumpfile on ours", async () => {
    const marker = `VMCORE-MARKER ${ref.marker}`;
    const out = join(dir, `${x.arch}-dmesg.kdump`);
    const ran = await vmcore(['convert', ref.qemuElf, out, '--format', 'kdump-raw-lzo', '-q']);
    expect(ran.code, ran.stderr).toBe(0);
    for (const file of [ref.qemuElf, ref.qemuKdumpZlib, out]) {
      const dmesg = await vmcore(['dmesg', file]);
      expect(dmesg.code, `${file}: ${dmesg.stderr}`).toBe(0);
      expect(
        dmesg.stdout
          .toString()
          .split('\n')
          .filter((l) => l.endsWith(marker)),
        file,
      ).toHaveLength(1);
    }
    const found = await findInKernelLogWithLibkdumpfile(out, marker);
    if (x.libkdumpfileVirtual) {
      expect(found).toMatchObject({ found: true, arch: x.arch, attributes: { 'addrxlat.ostype': 'linux' } });
      expect((await findInKernelLogWithLibkdumpfile(out, 'VMCORE-MARKER not-written')).found).toBe(false);
    } else {
      // libkdumpfile 0.5.1's ia32 translation: no cr3 in an i386 PRSTATUS, so its root page table is
      // swapper_pg_dir as a kernel *virtual* address, and its KV→phys map has no linear range
      // (set_linux_directmap() leaves none): reading the root needs the root (docs/DESIGN.md).
      const swapper = BigInt(`0x${/^SYMBOL\(swapper_pg_dir\)=([0-9a-f]+)$/m.exec(ref.facts.vmcoreinfoText)![1]}`);
      expect(found.error).toMatch(
        new RegExp(`Cannot read 32-bit PTE at KVADDR:0x${swapper.toString(16).slice(0, 5)}[0-9a-f]{3}: .*Infinite recursion`),
      );
      // the same ring through libkdumpfile's physical reads, located from the file's VMCOREINFO and
      // our arch layer's rule for the i386 kernel's linear map (virtual − PAGE_OFFSET)
      const info = parseVmcoreinfo(ref.facts.vmcoreinfoText);
      const prb = info.symbols.get('prb')!;
      const linearOffset = prb - kernelImageVirtToPhys(x.arch, info, prb)!;
      expect(linearOffset).toBe(0xc0000000n);
      const physical = await findInKernelLogWithLibkdumpfile(out, marker, { linearOffset });
      expect(physical).toMatchObject({ found: true, arch: 'ia32', addressSpace: 'KPHYSADDR', attributes: { 'addrxlat.ostype': 'linux' } });
      expect((await findInKernelLogWithLibkdumpfile(out, 'VMCORE-MARKER not-written', { linearOffset })).found).toBe(false);
      // and by kernel virtual address from our paging=true ELF, whose PT_LOADs carry the virtual
      // addresses: libkdumpfile then places them without translating
      const paged = join(dir, `${x.arch}-paging.elf`);
      const conv = await vmcore(['convert', ref.qemuElf, paged, '--format', 'elf', '--paging', '-q']);
      expect(conv.code, conv.stderr).toBe(0);
      expect(await findInKernelLogWithLibkdumpfile(paged, marker)).toMatchObject({ found: true, addressSpace: 'KVADDR' });
    }
  }, 300_000);
});

/**
 * ELF32 from the real i386 guest. QEMU 7.2 gives ELF64 for it: cpu_get_dump_info() sees every
 * guest block (dump_init() calls it before the begin/length filter applies), and pc.bios ends at
 * 4 GiB. Its RAM below 4 GiB alone is ELFCLASS32 by the same rule: `vmcore dump` of the RAM map
 * with QEMU's CPU notes writes that file, which the readers must take as QEMU's 32-bit dumps.
 */
describe('win-dmp of the i386 guest follows the QEMU binary serving it', () => {
  it('is refused for qemu-system-i386 (map qemuTarget or --qemu-target) and reaches the header check under qemu-system-x86_64', async () => {
    const ref = await referenceGuest({ arch: 'i386' });
    const blocks = ref.blocks.map(({ start, size, file, offset }) => ({ start, size, file, offset }));
    const maps = { i386: join(dir, 'i386-target-i386.json'), none: join(dir, 'i386-target-none.json') };
    await writeFile(maps.i386, JSON.stringify({ arch: 'i386', qemuTarget: 'i386', blocks }));
    await writeFile(maps.none, JSON.stringify({ arch: 'i386', blocks }));
    const dumpWin = (map: string, ...extra: string[]) =>
      vmcore(['dump', '--map', map, ...extra, '--notes-from', ref.qemuElf, '--format', 'win-dmp', '-q', join(dir, 'i386-refused.dmp')]);
    for (const ran of [await dumpWin(maps.i386), await dumpWin(maps.none, '--qemu-target', 'i386')]) {
      expect(ran.code).toBe(1);
      expect(ran.stderr).toMatch(/win-dmp needs an x86 guest of qemu-system-x86_64, this one is i386 under qemu-system-i386/);
    }
    // the default (qemu-system-x86_64) has win-dmp: the Linux guest then lacks the Windows header
    for (const ran of [await dumpWin(maps.none), await dumpWin(maps.i386, '--qemu-target', 'x86_64')]) {
      expect(ran.code).toBe(1);
      expect(ran.stderr).toMatch(/win-dmp needs a Windows guest's dump header .*invalid vmcoreinfo note size/);
    }
    const wrong = await vmcore([
      'dump',
      '--map',
      maps.none,
      '--qemu-target',
      'aarch64',
      '--notes-from',
      ref.qemuElf,
      '--format',
      'elf',
      '-q',
      join(dir, 'x.elf'),
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/QEMU target "aarch64" does not run i386 guests/);
  }, 300_000);
});

describe('i386 guest as ELF32 (its RAM below 4 GiB, QEMU 7.2 class rule)', () => {
  let ref: ReferenceGuest;
  let ram: Awaited<ReturnType<typeof openRamDump>>;
  let elf32: string;
  beforeAll(async () => {
    ref = await referenceGuest({ arch: 'i386' });
    ram = await openRamDump({ map: ref.mapFile });
    elf32 = join(dir, 'i386-ram-below-4g.elf');
    const ran = await vmcore(['dump', '--map', ref.mapFile, '--notes-from', ref.qemuElf, '--format', 'elf', '-q', elf32]);
    expect(ran.code, ran.stderr).toBe(0);
  }, 1_800_000);
  afterAll(async () => {
    await ram?.close();
  });

  it("is ELFCLASS32/EM_386 with QEMU's i386 notes byte for byte, and readelf reads it without warnings", async () => {
    expect(ref.physMap.some((b) => b.start + b.size > 0xffffffff && !b.inRamFile)).toBe(true); // pc.bios: why QEMU's is ELF64
    const header = await execFileAsync('readelf', ['-h', '-n', '-l', '-W', elf32]);
    expect(header.stderr).toBe('');
    expect(header.stdout).toMatch(/Class:\s+ELF32/);
    expect(header.stdout).toMatch(/Machine:\s+Intel 80386/);
    expect(header.stdout).toMatch(/Type:\s+CORE/);
    expect(header.stdout.match(/CORE\s+0x00000090\s+NT_PRSTATUS/g)).toHaveLength(2);
    const ours = await readElfNotes(elf32);
    const qemu = await readElfNotes(ref.qemuElf);
    expect(ours.map((n) => n.name)).toEqual(['CORE', 'CORE', 'QEMU', 'QEMU', 'VMCOREINFO']);
    // QEMU's ELF32 and ELF64 i386 notes are the same bytes (x86_elf_prstatus, QEMUCPUState): ours equal its ELF64 ones
    expect(ours).toEqual(qemu);
    const d = await info(elf32);
    expect(d).toMatchObject({ arch: 'i386', machine: 3, elfClass: 32, endian: 'le', nrCpus: 2 });
    expect(d.cpus[0].pc).toMatch(/^0xc[0-9a-f]{7}$/);
  }, 300_000);

  it('opens in libkdumpfile (every page equal to the RAM file, no attribute but the OS type) and in gdb', async () => {
    const r = await verifyPagesWithLibkdumpfile(elf32, ref.ramFile, ref.mapFile);
    expect(r).toMatchObject({ mismatches: 0, unreadable: 0, pages: ref.blocks.reduce((s, b) => s + b.size, 0) / 4096 });
    expect(Object.keys(r.attributes)).toEqual(['addrxlat.ostype']);
    // gdb takes the two NT_PRSTATUS notes as two threads, with QEMU's registers
    const d = await info(elf32);
    const gdb = await execFileAsync('gdb', [
      '-batch',
      '-n',
      '-ex',
      'set architecture i386',
      '-ex',
      `core-file ${elf32}`,
      '-ex',
      'info threads',
      '-ex',
      'thread 2',
      '-ex',
      'info registers eip esp',
    ]);
    expect(gdb.stdout).toMatch(/\* 1 +LWP 1 /);
    expect(gdb.stdout).toMatch(/ 2 +LWP 2 /);
    expect(gdb.stdout).toMatch(new RegExp(`eip +${d.cpus[1].pc} `));
    expect(gdb.stdout).toMatch(new RegExp(`esp +${d.cpus[1].sp} `));
  }, 600_000);

  it('round-trips ELF32 → kdump → ELF32: same notes, every page equal to the RAM file', async () => {
    const kdump = join(dir, 'i386-elf32.kdump');
    const back = join(dir, 'i386-elf32-back.elf');
    for (const [input, out, format] of [
      [elf32, kdump, 'kdump-raw-zlib'],
      [kdump, back, 'elf'],
    ] as const) {
      const ran = await vmcore(['convert', input, out, '--format', format, '-q']);
      expect(ran.code, ran.stderr).toBe(0);
    }
    const first = await openGuest(elf32);
    const last = await openGuest(back);
    try {
      expect(last.info).toMatchObject({ arch: 'i386', elfClass: 32, machine: 3 });
      expect(last.cpuNotes).toEqual(first.cpuNotes);
      expect(Buffer.from(last.guestNote!).equals(Buffer.from(first.guestNote!))).toBe(true);
      const pages = await verifyGuest(ram, last);
      expect(pages).toMatchObject({ mismatchedPages: 0 });
      expect(pages.pages * 4096).toBe(ref.blocks.reduce((s, b) => s + b.size, 0));
    } finally {
      await last.close();
      await first.close();
    }
  }, 600_000);
});

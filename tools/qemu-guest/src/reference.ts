import { closeSync, copyFileSync, existsSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseNotes } from '@vmcore/bytes';
import { bootGuest, type Firmware } from './boot.js';
import { readElfLoads } from './elf-phdrs.js';
import type { GuestFacts } from './facts.js';
import { GUEST_ARCH_SPECS, type GuestArch } from './guest-arch.js';
import { cachedBuild } from './cached-build.js';
import { withLock } from './lock.js';
import { parseMtreeFlat, physMapFromMtree, type PhysMapBlock } from './mtree.js';
import { cacheRoot } from './paths.js';
import { run, runChecked } from './process.js';
import type { QmpClient, QmpEvent } from './qmp-client.js';

export interface ReferenceGuestOptions {
  /** Default x86_64 (the host's kernel); aarch64, i386 and s390x boot Debian's kernels under TCG. */
  arch?: GuestArch;
  /** x86 only. */
  firmware?: Firmware;
  /** Default: whether the machine has fw_cfg (not s390x). */
  vmcoreinfo?: boolean;
  /** Default 512 for x86_64, 256 for the emulated architectures. */
  memMiB?: number;
  /** The guest panics (sysrq c, panic=0) after READY and is dumped in its panic loop. */
  panic?: boolean;
}

export interface FilteredElf {
  begin: number;
  length: number;
  file: string;
}

/** A block of map.json (docs/DESIGN.md BlockMap). */
export interface BlockMapBlock {
  start: number;
  size: number;
  file: string;
  offset: number;
  name: string;
}

export interface ReferenceGuest {
  variant: string;
  arch: GuestArch;
  /** The qemu-system-<target> that ran it (map.json's `qemuTarget`; i386 for the i386 guest). */
  qemuTarget: GuestArch;
  firmware: Firmware;
  vmcoreinfo: boolean;
  memMiB: number;
  /** The guest had panicked when it was dumped (referenceGuest({ panic: true })). */
  panic?: boolean;
  dir: string;
  /** Guest RAM as QEMU's memory backend held it (sparse copy). */
  ramFile: string;
  /** map.json: `{ blocks: BlockMapBlock[] }`, only blocks backed by the RAM file. */
  mapFile: string;
  /** physmap.json: `{ blocks: PhysMapBlock[] }`, every block QEMU's dumps contain. */
  physMapFile: string;
  blocks: BlockMapBlock[];
  physMap: PhysMapBlock[];
  /** QEMU's `dump-guest-memory` ELF, paging=false. */
  qemuElf: string;
  /** QEMU's ELF, paging=true (one PT_LOAD per mapped run: tens of thousands). */
  qemuElfPaging: string;
  /** QEMU's paging=false ELF with begin/length filters (x86_64 only; empty for the other architectures). */
  qemuElfFiltered: FilteredElf[];
  /** QEMU's kdump-zlib exactly as written (makedumpfile flattened format). */
  qemuKdumpZlib: string;
  /** The same, reassembled with `makedumpfile -R` (random-access kdump-compressed). */
  qemuKdumpZlibRaw: string;
  mtreeFile: string;
  registersFile: string;
  consoleLog: string;
  /** Written to the kernel log as "VMCORE-MARKER <marker>". */
  marker: string;
  qemuVersion: string;
  facts: ReferenceFacts;
  /** Milliseconds: boot to READY, each dump, and the whole build. */
  timings: Record<string, number>;
}

/** Console facts plus what the guest's VMCOREINFO note (read from the RAM file) says. */
export interface ReferenceFacts extends GuestFacts {
  /** The note's text (KEY=VALUE lines), from the RAM file at vmcoreinfoPaddr. */
  vmcoreinfoText: string;
  /**
   * x86_64: NUMBER(phys_base), which Linux prints in signed decimal (QEMU 7.2 misreads it as hex);
   * aarch64: NUMBER(PHYS_OFFSET) (hex); 0 on i386 and s390x, whose VMCOREINFO has neither.
   */
  physBase: number;
  /** KERNELOFFSET (hex in the note): the KASLR slide of the kernel's virtual addresses; 0 when absent (i386). */
  kernelOffset: number;
}

/** Reads the VMCOREINFO note text out of the RAM file through the block map. */
export function readVmcoreinfoFromRam(
  ramFile: string,
  blocks: Array<{ start: number; size: number; offset: number }>,
  paddr: number,
  size: number,
): string {
  const block = blocks.find((b) => paddr >= b.start && paddr + size <= b.start + b.size);
  if (!block) throw new Error(`VMCOREINFO note at 0x${paddr.toString(16)}+0x${size.toString(16)} is not inside one RAM-file block`);
  const buf = Buffer.alloc(size);
  const fd = openSync(ramFile, 'r');
  try {
    readSync(fd, buf, 0, size, block.offset + (paddr - block.start));
  } finally {
    closeSync(fd);
  }
  // Elf64_Nhdr {namesz, descsz, type} in the guest's byte order: namesz is 11 ("VMCOREINFO\0")
  const endian = buf.readUInt32LE(0) === 11 ? 'le' : 'be';
  let note;
  try {
    [note] = parseNotes(new Uint8Array(buf.buffer, buf.byteOffset, size), endian, { what: `${ramFile} at 0x${paddr.toString(16)}` });
  } catch (error) {
    throw new Error(`no VMCOREINFO note at 0x${paddr.toString(16)} in ${ramFile}: ${(error as Error).message}`);
  }
  if (note?.name !== 'VMCOREINFO') {
    throw new Error(`no VMCOREINFO note at 0x${paddr.toString(16)} in ${ramFile} (found ${JSON.stringify(note?.name)})`);
  }
  return Buffer.from(note.desc).toString('latin1').replace(/\0+$/, '');
}

function vmcoreinfoValue(text: string, key: string): string {
  const v = optionalVmcoreinfoValue(text, key);
  if (v === undefined) throw new Error(`VMCOREINFO has no ${key}= line`);
  return v;
}

function optionalVmcoreinfoValue(text: string, key: string): string | undefined {
  return new RegExp(`^${key.replace(/[()]/g, '\\$&')}=(.*)$`, 'm').exec(text)?.[1];
}

/** The physical base of the kernel's linear map as each architecture's VMCOREINFO states it. */
function physBaseFact(arch: GuestArch, text: string): number {
  if (arch === 'x86_64') return Number(vmcoreinfoValue(text, 'NUMBER(phys_base)'));
  if (arch === 'aarch64') return Number(vmcoreinfoValue(text, 'NUMBER(PHYS_OFFSET)'));
  return 0;
}

/** Bump when the cached layout or content changes: old caches are rebuilt. */
const CACHE_FORMAT = 2;
const COMPLETE = 'complete.json';

/** Begin/length pairs of the filtered ELF dumps. */
export function filteredRanges(): Array<{ begin: number; length: number; tag: string }> {
  return [
    { begin: 0x1234567, length: 0x89abc, tag: 'unaligned' },
    // crosses the legacy area 0xa0000-0xfffff (BIOS shadow ROM, option ROMs) into RAM above 1 MiB
    { begin: 0x9f800, length: 0x61000, tag: 'legacy-hole' },
  ];
}

export function variantName(o: Required<ReferenceGuestOptions>): string {
  const prefix = o.arch === 'x86_64' ? o.firmware : o.arch;
  const defaultVmcoreinfo = GUEST_ARCH_SPECS[o.arch].fwCfg;
  return `${prefix}-${o.memMiB}m${o.vmcoreinfo === defaultVmcoreinfo ? '' : o.vmcoreinfo ? '-vmcoreinfo' : '-novmcoreinfo'}${o.panic ? '-panic' : ''}`;
}

function resolveOptions(options: ReferenceGuestOptions): Required<ReferenceGuestOptions> {
  const arch = options.arch ?? 'x86_64';
  if (!GUEST_ARCH_SPECS[arch]) throw new Error(`referenceGuest: unknown arch ${String(arch)}`);
  const firmware = options.firmware ?? 'seabios';
  if (firmware !== 'seabios' && firmware !== 'ovmf')
    throw new Error(`referenceGuest: firmware must be 'seabios' or 'ovmf', got ${String(firmware)}`);
  if (firmware !== 'seabios' && arch !== 'x86_64') throw new Error(`referenceGuest: firmware ${firmware} is for x86_64 guests`);
  const memMiB = options.memMiB ?? (arch === 'x86_64' ? 512 : 256);
  const panic = options.panic ?? false;
  if (panic && arch !== 'x86_64') throw new Error('referenceGuest: the panic variant is x86_64 only');
  return { arch, firmware, vmcoreinfo: options.vmcoreinfo ?? GUEST_ARCH_SPECS[arch].fwCfg, memMiB, panic };
}

type Stored = Omit<ReferenceGuest, 'dir' | 'qemuTarget'> & { cacheFormat: number };

const RELATIVE_KEYS = [
  'ramFile',
  'mapFile',
  'physMapFile',
  'qemuElf',
  'qemuElfPaging',
  'qemuKdumpZlib',
  'qemuKdumpZlibRaw',
  'mtreeFile',
  'registersFile',
  'consoleLog',
] as const;

function load(dir: string): ReferenceGuest | undefined {
  const file = path.join(dir, COMPLETE);
  if (!existsSync(file)) return undefined;
  let stored: Stored;
  try {
    stored = JSON.parse(readFileSync(file, 'utf8')) as Stored;
  } catch {
    return undefined;
  }
  if (stored.cacheFormat !== CACHE_FORMAT) return undefined;
  const arch = stored.arch ?? 'x86_64';
  const g = { ...stored, arch, qemuTarget: GUEST_ARCH_SPECS[arch].qemuTarget, dir } as ReferenceGuest & { cacheFormat?: number };
  delete g.cacheFormat;
  for (const k of RELATIVE_KEYS) g[k] = path.join(dir, stored[k]);
  g.qemuElfFiltered = stored.qemuElfFiltered.map((f) => ({ ...f, file: path.join(dir, f.file) }));
  g.blocks = stored.blocks.map((b) => ({ ...b, file: g.ramFile }));
  for (const f of [...RELATIVE_KEYS.map((k) => g[k]), ...g.qemuElfFiltered.map((f) => f.file)]) {
    if (!existsSync(f)) return undefined;
  }
  return g;
}

const inProcess = new Map<string, Promise<ReferenceGuest>>();

/**
 * The reference set for a guest variant: built once (boot, stop, QEMU's own dumps, RAM file,
 * maps) and cached in `<repo>/.cache/qemu-guest/<variant>/`. Several processes may call it at
 * once: one builds under a lock file, the others wait for it.
 */
export function referenceGuest(options: ReferenceGuestOptions = {}): Promise<ReferenceGuest> {
  const o = resolveOptions(options);
  const variant = variantName(o);
  let p = inProcess.get(variant);
  if (!p) {
    p = obtain(o, variant);
    inProcess.set(variant, p);
    p.catch(() => inProcess.delete(variant));
  }
  return p;
}

function obtain(o: Required<ReferenceGuestOptions>, variant: string): Promise<ReferenceGuest> {
  const root = cacheRoot();
  return cachedBuild({
    root,
    variant,
    load,
    label: `referenceGuest(${variant})`,
    // one reference build (one TCG guest) at a time on this machine, whatever the variant
    build: (building, dir) => withLock(path.join(root, 'build.lock'), () => build(o, variant, building, dir)),
  });
}

async function dump(qmp: QmpClient, args: Record<string, unknown>, what: string): Promise<number> {
  const t0 = Date.now();
  const mark = qmp.eventMark();
  await qmp.execute('dump-guest-memory', args, 900_000);
  const ev: QmpEvent = await qmp.waitForEvent('DUMP_COMPLETED', { since: mark, timeoutMs: 900_000 });
  const result = (ev.data?.result ?? {}) as { status?: string };
  if (result.status !== 'completed') {
    throw new Error(`referenceGuest: ${what}: DUMP_COMPLETED status ${String(result.status)} (${JSON.stringify(ev.data)})`);
  }
  return Date.now() - t0;
}

/** Waits until the guest's console shows the end of a kernel panic (panic=0 then spins for ever). */
async function waitForPanic(consoleLog: string, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const log = existsSync(consoleLog) ? readFileSync(consoleLog, 'latin1') : '';
    if (log.includes('---[ end Kernel panic')) return;
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`referenceGuest: the guest did not panic within ${timeoutMs} ms; console tail: ${log.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Turns runs of zero blocks into holes (the dumps and RAM of a small guest are mostly zero). */
async function sparsify(file: string): Promise<void> {
  await run('fallocate', ['--dig-holes', file], { timeoutMs: 300_000 });
}

async function build(o: Required<ReferenceGuestOptions>, variant: string, dir: string, finalDir: string): Promise<void> {
  const tBuild = Date.now();
  const timings: Record<string, number> = {};
  const x86_64 = o.arch === 'x86_64';
  const guest = await bootGuest({
    arch: o.arch,
    firmware: o.firmware,
    vmcoreinfo: o.vmcoreinfo,
    memMiB: o.memMiB,
    fillMiB: x86_64 ? 32 : 16,
    lifetimeSec: x86_64 ? 1200 : 2400,
    ...(o.panic ? { extraAppend: ['vmcore_panic=1', 'panic=0'] } : {}),
  });
  timings.bootMs = guest.bootMs;
  if (o.panic) await waitForPanic(guest.consoleLog, 120_000);
  const names = {
    ramFile: 'ram.bin',
    mapFile: 'map.json',
    physMapFile: 'physmap.json',
    qemuElf: 'qemu.elf',
    qemuElfPaging: 'qemu-paging.elf',
    qemuKdumpZlib: 'qemu-kdump-zlib.flat',
    qemuKdumpZlibRaw: 'qemu-kdump-zlib.kdump',
    mtreeFile: 'mtree.txt',
    registersFile: 'registers.txt',
    consoleLog: 'console.log',
  };
  const abs = (f: string) => path.join(dir, f);
  let qemuVersion = '';
  const filtered: FilteredElf[] = [];
  try {
    const qmp = await guest.qmp();
    const v = qmp.greeting.QMP.version;
    qemuVersion = `${v.qemu.major}.${v.qemu.minor}.${v.qemu.micro} (${v.package.trim()})`;
    await qmp.execute('stop');
    writeFileSync(abs(names.mtreeFile), await qmp.hmp('info mtree -f'));
    writeFileSync(abs(names.registersFile), await qmp.hmp('info registers -a'));
    timings.elfMs = await dump(qmp, { paging: false, protocol: `file:${abs(names.qemuElf)}` }, 'elf');
    timings.elfPagingMs = await dump(qmp, { paging: true, protocol: `file:${abs(names.qemuElfPaging)}` }, 'elf paging');
    for (const r of x86_64 ? filteredRanges() : []) {
      const file = `qemu-filtered-${r.tag}.elf`;
      await dump(qmp, { paging: false, protocol: `file:${abs(file)}`, begin: r.begin, length: r.length }, `elf ${r.tag}`);
      filtered.push({ begin: r.begin, length: r.length, file });
    }
    timings.kdumpZlibMs = await dump(
      qmp,
      { paging: false, format: 'kdump-zlib', protocol: `file:${abs(names.qemuKdumpZlib)}` },
      'kdump-zlib',
    );
    copyFileSync(guest.consoleLog, abs(names.consoleLog));
    await guest.stop({ keepRamFile: true });
    const tCopy = Date.now();
    await runChecked('cp', ['--sparse=always', guest.ramFile, abs(names.ramFile)], { timeoutMs: 900_000 });
    timings.copyRamMs = Date.now() - tCopy;
  } finally {
    await guest.stop(); // idempotent: kills QEMU if still there, deletes the /dev/shm RAM file
  }
  for (const f of [names.qemuElf, names.qemuElfPaging]) await sparsify(abs(f));
  await runChecked('makedumpfile', ['-R', abs(names.qemuKdumpZlibRaw)], { stdinFile: abs(names.qemuKdumpZlib), timeoutMs: 600_000 });

  const physMap = physMapFromMtree(parseMtreeFlat(readFileSync(abs(names.mtreeFile), 'utf8')));
  const loads = await readElfLoads(abs(names.qemuElf));
  const fromMtree = physMap.map((b) => `0x${b.start.toString(16)}+0x${b.size.toString(16)}`).join(', ');
  const fromElf = loads.map((l) => `0x${l.paddr.toString(16)}+0x${l.memsz.toString(16)}`).join(', ');
  if (fromMtree !== fromElf) {
    throw new Error(`referenceGuest(${variant}): blocks from info mtree -f [${fromMtree}] differ from QEMU's PT_LOADs [${fromElf}]`);
  }
  const blocks: BlockMapBlock[] = physMap
    .filter((b) => b.inRamFile)
    .map((b) => ({ start: b.start, size: b.size, file: path.join(finalDir, names.ramFile), offset: b.offset ?? 0, name: b.name }));
  // map.json names the RAM file by absolute path (its final place in the cache), the guest
  // architecture, and the QEMU binary that ran it (which decides win-dmp)
  const mapJson = { arch: o.arch, qemuTarget: GUEST_ARCH_SPECS[o.arch].qemuTarget, blocks };
  writeFileSync(abs(names.mapFile), JSON.stringify(mapJson, null, 2) + '\n');
  writeFileSync(abs(names.physMapFile), JSON.stringify({ ramFile: path.join(finalDir, names.ramFile), blocks: physMap }, null, 2) + '\n');
  const vmcoreinfoText = readVmcoreinfoFromRam(abs(names.ramFile), blocks, guest.facts.vmcoreinfoPaddr, guest.facts.vmcoreinfoSize);
  const facts: ReferenceFacts = {
    ...guest.facts,
    vmcoreinfoText,
    physBase: physBaseFact(o.arch, vmcoreinfoText),
    kernelOffset: parseInt(optionalVmcoreinfoValue(vmcoreinfoText, 'KERNELOFFSET') ?? '0', 16),
  };
  timings.buildMs = Date.now() - tBuild;

  const stored: Stored = {
    cacheFormat: CACHE_FORMAT,
    variant,
    arch: o.arch,
    firmware: o.firmware,
    vmcoreinfo: o.vmcoreinfo,
    memMiB: o.memMiB,
    ...(o.panic ? { panic: true } : {}),
    ...names,
    blocks,
    physMap,
    qemuElfFiltered: filtered,
    marker: guest.marker,
    qemuVersion,
    facts,
    timings,
  };
  writeFileSync(abs(COMPLETE), JSON.stringify(stored, null, 2) + '\n');
}

import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  openSync,
  readFileSync,
  closeSync,
  readSync,
  rmSync,
  writeFileSync,
  writeSync,
  mkdtempSync,
} from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedBuild, QmpClient, QmpError } from '@vmcore/qemu-guest';
import { buildWinGuest, type WinGuestFacts, type WinGuestOptions } from './layout.js';
import { applyWrites, winGuestMutations } from './mutations.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = path.resolve(packageDir, '..', '..');
export const BIOS_SOURCE = path.join(packageDir, 'firmware', 'bios.asm');

/** `<repo>/.cache/win-guest`, or `$VMCORE_WIN_GUEST_CACHE`. */
export function winGuestCacheRoot(): string {
  return process.env.VMCORE_WIN_GUEST_CACHE ?? path.join(repoRoot, '.cache', 'win-guest');
}

/** QEMU's reply to one error case: the error text, or the file it wrote. */
export interface CaseReply {
  readonly name: string;
  readonly reaches: string;
  readonly error?: string;
  /** QEMU's warn_report() lines on stderr during this dump, without the "qemu-system-x86_64: warning: " prefix. */
  readonly warnings: readonly string[];
  /** The win-dmp QEMU wrote when it succeeded (warnings only). */
  readonly file?: string;
}

/** What QEMU 7.2 made of one synthetic guest (cached). */
export interface WinReferenceGuest {
  readonly variant: string;
  readonly dir: string;
  readonly facts: WinGuestFacts;
  /** The RAM file as the firmware left it (before any win-dmp). */
  readonly ramFile: string;
  /** `{ blocks: [{ start, size, file, offset }] }` for openRamGuest. */
  readonly mapFile: string;
  readonly qemuElf: string;
  readonly qemuDmp: string;
  /** The fw_cfg etc/vmcoreinfo entry the firmware wrote: where QEMU reads the note. */
  readonly vmcoreinfo: { paddr: number; size: number };
  /** QEMU's replies to the error cases (winGuestMutations), in order. */
  readonly cases: readonly CaseReply[];
  readonly qemuVersion: string;
}

export function variantName(o: WinGuestOptions): string {
  return [
    `w${o.cpus}-${o.kdbg}-${o.highMemory ? 'high' : 'low'}`,
    o.bugcheckCode ? `bc${o.bugcheckCode.toString(16)}` : '',
    o.memMiB !== undefined && o.memMiB !== 32 ? `${o.memMiB}m` : '',
    o.fill === 'zero' ? 'zero' : '',
    o.bits === 32 ? '32bit' : '',
  ]
    .filter(Boolean)
    .join('-');
}

const FORMAT_VERSION = 4;

function load(dir: string): WinReferenceGuest | undefined {
  const file = path.join(dir, 'reference.json');
  if (!existsSync(file)) return undefined;
  const ref = JSON.parse(readFileSync(file, 'utf8')) as WinReferenceGuest & { formatVersion: number };
  if (ref.formatVersion !== FORMAT_VERSION) return undefined;
  const at = (f: string) => path.join(dir, f);
  return {
    ...ref,
    dir,
    ramFile: at('ram.bin'),
    mapFile: at('map.json'),
    qemuElf: at('qemu.elf'),
    qemuDmp: at('qemu.dmp'),
    cases: ref.cases.map((c) => (c.file ? { ...c, file: at(c.file) } : c)),
  };
}

/**
 * The synthetic Windows guest run by real QEMU 7.2: its RAM file, QEMU's ELF and win-dmp, and
 * QEMU's replies to the error cases. Built once per variant into the cache (lock-protected, safe
 * from parallel test processes).
 */
export function winReferenceGuest(options: WinGuestOptions): Promise<WinReferenceGuest> {
  const variant = variantName(options);
  return cachedBuild({
    root: winGuestCacheRoot(),
    variant,
    load,
    label: `winReferenceGuest(${variant})`,
    build: (building) => build(options, variant, building),
  });
}

function run(command: string, args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, stdout }));
  });
}

/** Assembles the firmware for this guest (nasm). */
export async function assembleBios(facts: WinGuestFacts, out: string): Promise<void> {
  const r = await run('nasm', [
    '-f',
    'bin',
    `-DNOTE_PADDR=0x${facts.notePaddr.toString(16)}`,
    `-DNOTE_SIZE=0x${facts.noteSize.toString(16)}`,
    `-DCR3=0x${facts.directoryTableBase.toString(16)}`,
    `-DDONE_ADDR=0x${facts.doneAddr.toString(16)}`,
    ...(facts.options.bits === 32 ? ['-DMODE32'] : []),
    '-o',
    out,
    BIOS_SOURCE,
  ]);
  if (r.code !== 0)
    throw new Error(`nasm ${BIOS_SOURCE}: exit ${r.code}: ${r.stderr.trim()} (install nasm: tools/qemu-guest/install-deps.sh)`);
}

export function qemuArgs(facts: WinGuestFacts, bios: string, ramFile: string, qmpSocket: string): string[] {
  const machine = facts.highMem ? `pc,max-ram-below-4g=${facts.lowMem}` : 'pc';
  return [
    '-accel',
    'tcg',
    '-machine',
    machine,
    '-m',
    `${facts.memMiB}M`,
    '-smp',
    String(facts.options.cpus),
    '-bios',
    bios,
    '-object',
    `memory-backend-file,id=ram,size=${facts.memMiB}M,mem-path=${ramFile},share=on`,
    '-machine',
    'memory-backend=ram',
    '-device',
    'vmcoreinfo',
    '-qmp',
    `unix:${qmpSocket},server=on,wait=off`,
    '-display',
    'none',
    '-vga',
    'none',
    '-nodefaults',
    '-no-reboot',
  ];
}

async function waitFor(test: () => boolean, what: string, timeoutMs: number, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    const gone = exited();
    if (gone !== undefined) throw new Error(`win-guest: QEMU exited while waiting for ${what}: ${gone}`);
    if (Date.now() > deadline) throw new Error(`win-guest: ${what} not seen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function dump(qmp: QmpClient, file: string, format?: string): Promise<string | undefined> {
  try {
    await qmp.execute('dump-guest-memory', { paging: false, protocol: `file:${file}`, ...(format ? { format } : {}) });
    return undefined;
  } catch (error) {
    if (error instanceof QmpError) return error.desc;
    throw error;
  }
}

async function build(options: WinGuestOptions, variant: string, dir: string): Promise<void> {
  const image = buildWinGuest(options);
  const facts = image.facts;
  const work = mkdtempSync(path.join(os.tmpdir(), 'vmcore-wg-'));
  const shmRam = `/dev/shm/vmcore-wg-${process.pid}-${variant}.ram`;
  const bios = path.join(dir, 'bios.bin');
  const qmpSocket = path.join(work, 'qmp.sock');
  await assembleBios(facts, bios);
  writeFileSync(shmRam, image.ram.bytes);
  const args = qemuArgs(facts, bios, shmRam, qmpSocket);
  const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'], detached: false });
  let stderr = '';
  let exit: string | undefined;
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.on('close', (code, signal) => (exit = `exit ${code ?? signal}: ${stderr.trim()}`));
  const readDone = () => {
    const fd = openSync(shmRam, 'r');
    try {
      const b = Buffer.alloc(4);
      readSync(fd, b, 0, 4, facts.doneAddr);
      return b.toString('latin1') === 'DONE';
    } finally {
      closeSync(fd);
    }
  };
  let qmp: QmpClient | undefined;
  try {
    await waitFor(
      () => existsSync(qmpSocket),
      'the QMP socket',
      60_000,
      () => exit,
    );
    qmp = await QmpClient.connect(qmpSocket);
    await waitFor(readDone, 'the firmware (DONE marker in RAM)', 120_000, () => exit);
    await qmp.execute('stop');
    const version = qmp.greeting.QMP.version.qemu;
    const elfError = await dump(qmp, path.join(dir, 'qemu.elf'));
    if (elfError) throw new Error(`win-guest: QEMU's ELF dump failed: ${elfError}`);
    copyFileSync(shmRam, path.join(dir, 'ram.bin'));
    const dmpError = await dump(qmp, path.join(dir, 'qemu.dmp'), 'win-dmp');
    if (dmpError) throw new Error(`win-guest: QEMU's win-dmp failed: ${dmpError}`);

    const cases: CaseReply[] = [];
    if (options.kdbg === 'plain' && options.bits !== 32) {
      // The RAM as the firmware left it (the CPU set accessed bits in the page tables, the DMA
      // descriptor and the stack changed), not the image it started from.
      const pristine = new Uint8Array(readFileSync(path.join(dir, 'ram.bin')));
      const fd = openSync(shmRam, 'r+');
      try {
        for (const mutation of winGuestMutations(facts)) {
          const mutated = pristine.slice();
          applyWrites(mutated, facts, mutation.writes);
          writeSync(fd, mutated, 0, mutated.length, 0);
          const file = `case-${mutation.name}.dmp`;
          const before = stderr.length;
          const error = await dump(qmp, path.join(dir, file), 'win-dmp');
          await new Promise((r) => setTimeout(r, 200));
          const warnings = [...stderr.slice(before).matchAll(/warning: (.*)/g)].map((m) => m[1]!.trim());
          cases.push({ name: mutation.name, reaches: mutation.reaches, warnings, ...(error !== undefined ? { error } : { file }) });
          if (error !== undefined) rmSync(path.join(dir, file), { force: true });
          // Errors leave patched contexts behind (QEMU restores them only on success): start over from the pristine image.
          writeSync(fd, pristine, 0, pristine.length, 0);
        }
        const paging = await qmp
          .execute('dump-guest-memory', { paging: true, protocol: `file:${path.join(dir, 'paging.dmp')}`, format: 'win-dmp' })
          .then(
            () => undefined,
            (e: unknown) => (e instanceof QmpError ? e.desc : String(e)),
          );
        cases.push({
          name: 'paging',
          reaches: 'qmp_dump_guest_memory: paging with a non-ELF format',
          warnings: [],
          ...(paging !== undefined ? { error: paging } : { file: 'paging.dmp' }),
        });
      } finally {
        closeSync(fd);
      }
    }
    await qmp.execute('quit').catch(() => undefined);
    const blocksJson = {
      blocks: facts.blocks.map((b) => ({ start: b.start, size: b.size, file: 'ram.bin', offset: b.offset })),
    };
    writeFileSync(path.join(dir, 'map.json'), `${JSON.stringify(blocksJson, null, 2)}\n`);
    writeFileSync(
      path.join(dir, 'reference.json'),
      `${JSON.stringify(
        {
          formatVersion: FORMAT_VERSION,
          variant,
          facts,
          vmcoreinfo: { paddr: facts.notePaddr, size: facts.noteSize },
          cases,
          qemuVersion: `${version.major}.${version.minor}.${version.micro}`,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    qmp?.close();
    if (exit === undefined) child.kill('SIGKILL');
    rmSync(shmRam, { force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

/** QEMU's reply when a non-x86 QEMU (qemu-system-aarch64) is asked for win-dmp. */
export async function nonX86WinDmpReply(): Promise<string> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'vmcore-wg-arm-'));
  const sock = path.join(work, 'qmp.sock');
  const child = spawn(
    'qemu-system-aarch64',
    ['-M', 'virt', '-m', '64M', '-S', '-nodefaults', '-display', 'none', '-qmp', `unix:${sock},server=on,wait=off`],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let exit: string | undefined;
  child.on('close', (code) => (exit = `exit ${code}`));
  try {
    await waitFor(
      () => existsSync(sock),
      'the QMP socket',
      60_000,
      () => exit,
    );
    const qmp = await QmpClient.connect(sock);
    try {
      await qmp.execute('dump-guest-memory', { paging: false, protocol: `file:${path.join(work, 'x.dmp')}`, format: 'win-dmp' });
      return '';
    } catch (error) {
      if (error instanceof QmpError) return error.desc;
      throw error;
    } finally {
      await qmp.execute('quit').catch(() => undefined);
      qmp.close();
    }
  } finally {
    if (exit === undefined) child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
}

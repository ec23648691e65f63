import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConsoleFacts, type GuestFacts } from './facts.js';
import { buildInitramfs } from './initramfs.js';
import { GUEST_ARCH_SPECS, guestKernel, qemuBinary, type GuestArch } from './guest-arch.js';
import { QmpClient } from './qmp-client.js';

export type Firmware = 'seabios' | 'ovmf';

export const OVMF_IMAGE = '/usr/share/ovmf/OVMF.fd';
const SETPRIV = '/usr/bin/setpriv';

export interface BootOptions {
  /** Guest architecture (default x86_64, the host's kernel); others boot Debian's kernel under TCG. */
  arch?: GuestArch;
  /** x86 only. */
  firmware?: Firmware;
  /** Adds `-device vmcoreinfo` (default true). */
  vmcoreinfo?: boolean;
  memMiB?: number;
  smp?: number;
  /** MiB of tmpfs filled with a repeating text pattern by /init (default 32; 0 = none). */
  fillMiB?: number;
  /** Drop the page cache after filling (default false). */
  dropCaches?: boolean;
  /** Delete busybox and the module from the rootfs before pausing, so their pages are freed (default false). */
  slim?: boolean;
  /** Written to the kernel log as "VMCORE-MARKER <marker>"; default: a fresh random one. No spaces. */
  marker?: string;
  /** Extra kernel command-line words, appended. */
  extraAppend?: string[];
  /** Extra QEMU arguments, appended. */
  extraArgs?: string[];
  /** The QEMU process runs under `timeout` with this many seconds (default 1800). */
  lifetimeSec?: number;
  /** How long to wait for the READY line (default 300 s; 900 s for the emulated architectures). */
  bootTimeoutMs?: number;
}

export interface RunningGuest {
  readonly name: string;
  readonly arch: GuestArch;
  /** QMP socket for `qmp()`; a QEMU monitor serves one client at a time. */
  readonly qmpSocket: string;
  /** A second, independent QMP monitor for raw protocol tests (QmpLineConnection). */
  readonly rawQmpSocket: string;
  /** The guest RAM (memory-backend-file, share=on): byte i = guest RAM offset i (see map). */
  readonly ramFile: string;
  readonly consoleLog: string;
  readonly marker: string;
  readonly memMiB: number;
  readonly firmware: Firmware;
  readonly qemuArgs: readonly string[];
  /** Milliseconds from spawn to the READY line. */
  readonly bootMs: number;
  readonly facts: GuestFacts;
  /** The shared QMP client on `qmpSocket` (connected on first call). */
  qmp(): Promise<QmpClient>;
  /** Quits QEMU (QMP quit, then SIGKILL after 10 s) and deletes the work dir and, unless kept, the RAM file. */
  stop(options?: { keepRamFile?: boolean }): Promise<void>;
  /** SIGKILLs QEMU now and deletes the RAM file and work dir. */
  kill(): void;
  /** Resolves when QEMU has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL'); // `timeout` and QEMU share the detached group
  } catch {
    /* already gone */
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of live) killGroup(c);
  });
}

let counter = 0;

/** Deletes RAM files of guests whose owning Node process died without cleaning up (SIGKILL). */
function removeOrphanRamFiles(): void {
  let names: string[];
  try {
    names = readdirSync('/dev/shm');
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^vmcore-qg-(\d+)-\d+-[0-9a-f]+\.ram$/.exec(name);
    if (!m) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') rmSync(`/dev/shm/${name}`, { force: true });
    }
  }
}

/** Builds the QEMU command line (also used by boot.sh through `describeBoot`). */
export function qemuArgs(o: {
  arch?: GuestArch;
  firmware: Firmware;
  vmcoreinfo: boolean;
  memMiB: number;
  smp: number;
  vmlinuz: string;
  initrd: string;
  append: string;
  ramFile: string;
  qmpSocket: string;
  rawQmpSocket: string;
  consoleLog: string;
  extraArgs?: string[];
}): string[] {
  const spec = GUEST_ARCH_SPECS[o.arch ?? 'x86_64'];
  const x86 = spec.arch === 'x86_64' || spec.arch === 'i386';
  const args = [
    '-accel',
    'tcg',
    ...spec.machineArgs,
    '-smp',
    String(o.smp),
    '-m',
    String(o.memMiB),
    '-kernel',
    o.vmlinuz,
    '-initrd',
    o.initrd,
    '-append',
    o.append,
    '-object',
    `memory-backend-file,id=ram,size=${o.memMiB}M,mem-path=${o.ramFile},share=on`,
    '-machine',
    'memory-backend=ram',
    '-qmp',
    `unix:${o.qmpSocket},server=on,wait=off`,
    '-qmp',
    `unix:${o.rawQmpSocket},server=on,wait=off`,
    '-serial',
    `file:${o.consoleLog}`,
    '-display',
    'none',
    ...(x86 ? ['-vga', 'none'] : []),
    '-nodefaults',
    '-no-reboot',
  ];
  if (o.vmcoreinfo) args.push('-device', 'vmcoreinfo');
  if (o.firmware === 'ovmf' && x86) args.push('-bios', OVMF_IMAGE);
  return [...args, ...(o.extraArgs ?? [])];
}

/** Boots the reference Linux guest under TCG and waits for its READY line. */
export async function bootGuest(options: BootOptions = {}): Promise<RunningGuest> {
  const arch = options.arch ?? 'x86_64';
  const spec = GUEST_ARCH_SPECS[arch];
  if (!spec) throw new Error(`bootGuest: unknown arch ${String(arch)}`);
  const firmware = options.firmware ?? 'seabios';
  if (firmware !== 'seabios' && arch !== 'x86_64' && arch !== 'i386') throw new Error(`bootGuest: firmware ${firmware} is x86 only`);
  const vmcoreinfo = options.vmcoreinfo ?? spec.fwCfg;
  if (vmcoreinfo && !spec.fwCfg) throw new Error(`bootGuest: ${arch} machines have no fw_cfg, so no -device vmcoreinfo`);
  if (options.slim && !spec.pauseProgram) throw new Error(`bootGuest: slim needs the x86_64 /pause program`);
  const memMiB = options.memMiB ?? 512;
  const smp = options.smp ?? 2;
  const fillMiB = options.fillMiB ?? 32;
  if (!Number.isSafeInteger(memMiB) || memMiB < 64) throw new Error(`bootGuest: memMiB must be an integer >= 64, got ${memMiB}`);
  if (!Number.isSafeInteger(fillMiB) || fillMiB < 0 || fillMiB > memMiB / 2) {
    throw new Error(`bootGuest: fillMiB must be an integer in [0, memMiB/2], got ${fillMiB}`);
  }
  if (firmware === 'ovmf' && !existsSync(OVMF_IMAGE)) throw new Error(`bootGuest: ${OVMF_IMAGE} missing (install ovmf)`);
  removeOrphanRamFiles();
  const name = `vmcore-qg-${process.pid}-${++counter}-${randomBytes(3).toString('hex')}`;
  const marker = options.marker ?? `${name}-${randomBytes(6).toString('hex')}`;
  if (/\s/.test(marker)) throw new Error(`bootGuest: marker must not contain white space: ${JSON.stringify(marker)}`);
  const kernel = guestKernel(arch);
  const initrd = await buildInitramfs(kernel);
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'vmcore-qg-'));
  const ramFile = `/dev/shm/${name}.ram`;
  const qmpSocket = path.join(workDir, 'qmp.sock');
  const rawQmpSocket = path.join(workDir, 'qmp-raw.sock');
  const consoleLog = path.join(workDir, 'console.log');
  const append = [
    `console=${spec.console}`,
    'quiet',
    'panic=-1',
    `vmcore_marker=${marker}`,
    `vmcore_fill_mib=${fillMiB}`,
    `vmcore_drop_caches=${options.dropCaches ? 1 : 0}`,
    `vmcore_slim=${options.slim ? 1 : 0}`,
    ...(options.extraAppend ?? []),
  ].join(' ');
  const args = qemuArgs({
    arch,
    firmware,
    vmcoreinfo,
    memMiB,
    smp,
    vmlinuz: kernel.vmlinuz,
    initrd,
    append,
    ramFile,
    qmpSocket,
    rawQmpSocket,
    consoleLog,
    extraArgs: options.extraArgs,
  });
  const lifetime = options.lifetimeSec ?? 1800;
  installExitHook();
  const t0 = Date.now();
  // QEMU dies with us: pdeathsig on `timeout` (our child) and on QEMU (its child), a process
  // group for kill(), and `timeout` as the last resort if everything else is missed.
  const deathsig = existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'KILL'] : [];
  const argv = [...deathsig, 'timeout', '-k', '5', String(lifetime), ...deathsig, qemuBinary(spec.arch), ...args];
  const child = spawn(argv[0]!, argv.slice(1), {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  live.add(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 65536) stderr += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
    child.on('error', (err) => {
      stderr += `\nspawn: ${err.message}`;
      live.delete(child);
      resolve({ code: null, signal: null });
    });
  });
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((e) => (exitInfo = e));

  const cleanupFiles = (keepRam: boolean) => {
    if (!keepRam) rmSync(ramFile, { force: true });
    rmSync(workDir, { recursive: true, force: true });
  };
  const readLog = () => (existsSync(consoleLog) ? readFileSync(consoleLog, 'utf8') : '');

  let client: Promise<QmpClient> | undefined;
  const kill = () => {
    killGroup(child);
    cleanupFiles(false);
  };
  try {
    const timeoutMs = options.bootTimeoutMs ?? (arch === 'x86_64' ? 300_000 : 900_000);
    for (;;) {
      const log = readLog();
      const ready = log.indexOf(`VMCORE-READY ${marker}`);
      // READY comes from the shell; PAUSED from /pause once it has replaced the shell as PID 1
      if (ready >= 0 && log.indexOf('VMCORE-PAUSED', ready) > 0) break;
      if (exitInfo) {
        throw new Error(
          `bootGuest: QEMU exited (${exitInfo.code ?? exitInfo.signal}) before READY; stderr: ${stderr.trim().slice(0, 2000)}; ` +
            `console tail: ${log.slice(-2000)}`,
        );
      }
      if (Date.now() - t0 > timeoutMs) {
        throw new Error(`bootGuest: no READY line within ${timeoutMs} ms; console tail: ${log.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const bootMs = Date.now() - t0;
    const facts = parseConsoleFacts(readLog());
    const guest: RunningGuest = {
      name,
      arch,
      qmpSocket,
      rawQmpSocket,
      ramFile,
      consoleLog,
      marker,
      memMiB,
      firmware,
      bootMs,
      facts,
      exited,
      qemuArgs: args,
      qmp() {
        client ??= QmpClient.connect(qmpSocket);
        return client;
      },
      async stop(stopOptions = {}) {
        try {
          if (!exitInfo) {
            try {
              const q = await Promise.race([
                guest.qmp(),
                new Promise<never>((_, rej) => setTimeout(() => rej(new Error('connect timeout')), 5000)),
              ]);
              await q.execute('quit', undefined, 5000).catch(() => undefined);
            } catch {
              /* fall through to the kill below */
            }
            const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
            if (!done) {
              killGroup(child);
              await exited;
            }
          }
        } finally {
          if (client) void client.then((c) => c.close()).catch(() => undefined);
          killGroup(child);
          cleanupFiles(stopOptions.keepRamFile ?? false);
        }
      },
      kill,
    };
    return guest;
  } catch (err) {
    kill();
    throw err;
  }
}

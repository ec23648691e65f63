import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { findHostKernel, repoRoot } from './paths.js';

/** Guest architectures the reference sets cover (issue 11). x86_64 is the host's own kernel. */
export type GuestArch = 'x86_64' | 'aarch64' | 'i386' | 's390x';
export const GUEST_ARCHES: readonly GuestArch[] = ['x86_64', 'aarch64', 'i386', 's390x'];

/** The kernel, module and busybox a guest boots with. */
export interface GuestKernel {
  arch: GuestArch;
  release: string;
  vmlinuz: string;
  /** qemu_fw_cfg module as found on disk (may be .ko.xz / .ko.zst / .ko.gz); none on s390x. */
  fwCfgModule?: string;
  /** A static busybox for the guest's architecture. */
  busybox: string;
}

/** How QEMU runs a guest of one architecture. */
export interface GuestArchSpec {
  arch: GuestArch;
  /**
   * The qemu-system-<target> binary that runs it, recorded in map.json's `qemuTarget`: the target,
   * not the guest CPU, decides win-dmp (QEMU 7.2 has it only for TARGET_X86_64).
   */
  qemuTarget: GuestArch;
  /** Machine and CPU arguments (before the common ones). */
  machineArgs: readonly string[];
  /** Kernel console device for `-serial file:`. */
  console: string;
  /** Whether the machine has fw_cfg, so `-device vmcoreinfo` can exist. */
  fwCfg: boolean;
  /** The x86 guests pause in a 167-byte x86_64 program; the others in busybox sleep. */
  pauseProgram: boolean;
}

export const GUEST_ARCH_SPECS: Readonly<Record<GuestArch, GuestArchSpec>> = {
  x86_64: {
    arch: 'x86_64',
    qemuTarget: 'x86_64',
    machineArgs: ['-machine', 'pc'],
    console: 'ttyS0',
    fwCfg: true,
    pauseProgram: true,
  },
  // Debian's 686 kernel under qemu-system-i386: 32-bit paging, so EM_386 and i386 PRSTATUS notes;
  // ELFCLASS64 all the same, since pc.bios ends at 4 GiB (cpu_get_dump_info sees every block)
  i386: {
    arch: 'i386',
    qemuTarget: 'i386',
    machineArgs: ['-machine', 'pc'],
    console: 'ttyS0',
    fwCfg: true,
    pauseProgram: false,
  },
  aarch64: {
    arch: 'aarch64',
    qemuTarget: 'aarch64',
    machineArgs: ['-machine', 'virt', '-cpu', 'max'],
    console: 'ttyAMA0',
    fwCfg: true,
    pauseProgram: false,
  },
  // s390x has no fw_cfg: the kernel's VMCOREINFO reaches no dump unless found in memory
  s390x: {
    arch: 's390x',
    qemuTarget: 's390x',
    machineArgs: ['-machine', 's390-ccw-virtio'],
    console: 'ttysclp0',
    fwCfg: false,
    pauseProgram: false,
  },
};

/** The QEMU binary that runs a guest of `arch`. */
export function qemuBinary(arch: GuestArch): string {
  return `qemu-system-${GUEST_ARCH_SPECS[arch].qemuTarget}`;
}

/** Debian architecture names used by tools/deps/foreign-kernels.sh. */
const DEBIAN_ARCH: Record<Exclude<GuestArch, 'x86_64'>, string> = { aarch64: 'arm64', i386: 'i386', s390x: 's390x' };

/** `<repo>/.cache/foreign-kernels`, or `$VMCORE_FOREIGN_KERNELS` when set. */
export function foreignKernelsRoot(): string {
  return process.env.VMCORE_FOREIGN_KERNELS ?? path.join(repoRoot, '.cache', 'foreign-kernels');
}

/** The kernel a guest of `arch` boots: the host's for x86_64, else the unpacked Debian package. */
export function guestKernel(arch: GuestArch): GuestKernel {
  if (arch === 'x86_64') {
    const k = findHostKernel();
    return { arch, release: k.release, vmlinuz: k.vmlinuz, fwCfgModule: k.fwCfgModule, busybox: '/bin/busybox' };
  }
  const dir = path.join(foreignKernelsRoot(), DEBIAN_ARCH[arch]);
  if (!existsSync(path.join(dir, '.complete'))) {
    throw new Error(`qemu-guest: no ${arch} kernel in ${dir}; run tools/deps/foreign-kernels.sh (install-deps.sh does)`);
  }
  const root = path.join(dir, 'root');
  const release = readFileSync(path.join(dir, 'release'), 'utf8').trim();
  const vmlinuz = path.join(root, 'boot', `vmlinuz-${release}`);
  const busybox = path.join(root, 'bin', 'busybox');
  for (const f of [vmlinuz, busybox]) if (!existsSync(f)) throw new Error(`qemu-guest: ${f} missing; rerun tools/deps/foreign-kernels.sh`);
  let fwCfgModule: string | undefined;
  for (const ext of ['.ko', '.ko.xz', '.ko.zst', '.ko.gz']) {
    const mod = path.join(root, 'lib', 'modules', release, 'kernel', 'drivers', 'firmware', `qemu_fw_cfg${ext}`);
    if (existsSync(mod)) fwCfgModule = mod;
  }
  if (GUEST_ARCH_SPECS[arch].fwCfg && !fwCfgModule) throw new Error(`qemu-guest: the ${arch} kernel ${release} has no qemu_fw_cfg module`);
  return { arch, release, vmlinuz, fwCfgModule, busybox };
}

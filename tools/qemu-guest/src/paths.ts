import { existsSync, mkdirSync, readdirSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** tools/qemu-guest, whether running from src/ (vitest) or dist/. */
export const packageDir = fileURLToPath(new URL('..', import.meta.url));
/** The repository root: tools/qemu-guest/../.. */
export const repoRoot = path.resolve(packageDir, '..', '..');

/**
 * `<repo>/.cache/qemu-guest`, or `$VMCORE_QEMU_GUEST_CACHE` when set, with symlinks resolved: the
 * cache's map files hold absolute paths, so checkouts that share one cache through a symlinked
 * `.cache` must all name it the same way.
 */
export function cacheRoot(): string {
  const root = process.env.VMCORE_QEMU_GUEST_CACHE ?? path.join(repoRoot, '.cache', 'qemu-guest');
  mkdirSync(root, { recursive: true });
  return realpathSync(root);
}

export const pythonPath = '/usr/bin/python3';
export const verifyScript = path.join(packageDir, 'py', 'verify_pages.py');

export interface HostKernel {
  release: string;
  vmlinuz: string;
  /** qemu_fw_cfg module as found on disk (may be .ko.xz / .ko.zst / .ko.gz). */
  fwCfgModule: string;
}

/** The newest /boot/vmlinuz-* whose /lib/modules tree has qemu_fw_cfg. */
export function findHostKernel(): HostKernel {
  const kernels = readdirSync('/boot')
    .filter((f) => f.startsWith('vmlinuz-'))
    .map((f) => f.slice('vmlinuz-'.length))
    .sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
  for (const release of kernels) {
    const dir = `/lib/modules/${release}/kernel/drivers/firmware`;
    for (const ext of ['.ko', '.ko.xz', '.ko.zst', '.ko.gz']) {
      const mod = path.join(dir, `qemu_fw_cfg${ext}`);
      if (existsSync(mod)) return { release, vmlinuz: `/boot/vmlinuz-${release}`, fwCfgModule: mod };
    }
  }
  throw new Error(
    `qemu-guest: no /boot/vmlinuz-* with /lib/modules/<release>/kernel/drivers/firmware/qemu_fw_cfg.ko* ` +
      `(found kernels: ${kernels.join(', ') || 'none'}); run tools/qemu-guest/install-deps.sh`,
  );
}

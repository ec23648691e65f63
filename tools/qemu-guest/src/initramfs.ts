import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { guestKernel, type GuestKernel } from './guest-arch.js';
import { cacheRoot, type HostKernel } from './paths.js';
import { runChecked } from './process.js';

export const BUSYBOX = '/bin/busybox';

/**
 * The guest's /init. Settings come from the kernel command line (vmcore_marker=, vmcore_fill_mib=,
 * vmcore_drop_caches=, vmcore_slim=, vmcore_panic=) so one initramfs serves every variant. Lines for the host start with
 * VMCORE- so they can be picked out of the serial log between kernel messages.
 */
export const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
MARKER=none
FILL=0
DROP=0
SLIM=0
PANIC=0
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    vmcore_marker=*) MARKER="\${arg#vmcore_marker=}" ;;
    vmcore_fill_mib=*) FILL="\${arg#vmcore_fill_mib=}" ;;
    vmcore_drop_caches=*) DROP="\${arg#vmcore_drop_caches=}" ;;
    vmcore_slim=*) SLIM="\${arg#vmcore_slim=}" ;;
    vmcore_panic=*) PANIC="\${arg#vmcore_panic=}" ;;
  esac
done
# qemu_fw_cfg makes the kernel publish VMCOREINFO through fw_cfg etc/vmcoreinfo
insmod /lib/qemu_fw_cfg.ko || echo "VMCORE-FACT insmod-failed"
if [ -e /sys/firmware/qemu_fw_cfg/by_name/etc/vmcoreinfo ]; then echo "VMCORE-FACT fwcfg-vmcoreinfo yes"; else echo "VMCORE-FACT fwcfg-vmcoreinfo no"; fi
if [ "$FILL" -gt 0 ]; then
  mkdir -p /fill
  mount -t tmpfs -o size=$((FILL + 4))m tmpfs /fill
  yes "VMCORE-FILL-PATTERN $MARKER 0123456789abcdef" | head -c $((FILL * 1048576)) > /fill/pattern
  echo "VMCORE-FACT fill-mib $FILL"
fi
echo "VMCORE-MARKER $MARKER" > /dev/kmsg
if [ "$DROP" = 1 ]; then sync; echo 3 > /proc/sys/vm/drop_caches; fi
echo "VMCORE-FACT uname-r $(uname -r)"
echo "VMCORE-FACT vmcoreinfo $(cat /sys/kernel/vmcoreinfo)"
sed 's/^/VMCORE-FACT iomem /' /proc/iomem
echo "VMCORE-READY $MARKER"
# slim: once nothing maps busybox any more its rootfs pages are freed (zeroed with init_on_free=1)
if [ "$SLIM" = 1 ]; then rm -rf /bin /lib /init; fi
# panic: one second after PAUSED the kernel panics (sysrq c); with panic=0 it then waits for ever
if [ "$PANIC" = 1 ]; then (sleep 1; echo c > /proc/sysrq-trigger) & fi
# /pause prints VMCORE-PAUSED and sleeps in pause(2): nothing runs in the guest after it
exec /pause
`;

/**
 * The /init of guests without the x86_64 /pause program (every other architecture): PID 1 becomes
 * busybox sleep once READY is printed, so nothing but the sleeping shell runs afterwards.
 */
export const FOREIGN_INIT_SCRIPT = INIT_SCRIPT.replace('exec /pause\n', 'echo VMCORE-PAUSED\nexec /bin/sleep 2147483647\n');

/**
 * A 167-byte static x86_64 program: write(1, "VMCORE-PAUSED\\n"), then pause() forever.
 * It replaces the shell as PID 1 so the guest is idle, and so busybox can be dropped.
 */
export function pauseProgram(): Uint8Array {
  const base = 0x400000;
  const msg = Buffer.from('VMCORE-PAUSED\n', 'latin1');
  const code = Buffer.from([
    0xb8,
    0x01,
    0x00,
    0x00,
    0x00, // mov eax, 1 (write)
    0xbf,
    0x01,
    0x00,
    0x00,
    0x00, // mov edi, 1
    0x48,
    0x8d,
    0x35,
    0x10,
    0x00,
    0x00,
    0x00, // lea rsi, [rip+16] -> msg
    0xba,
    msg.length,
    0x00,
    0x00,
    0x00, // mov edx, len
    0x0f,
    0x05, // syscall
    0xb8,
    0x22,
    0x00,
    0x00,
    0x00, // loop: mov eax, 34 (pause)
    0x0f,
    0x05, // syscall
    0xeb,
    0xf7, // jmp loop
  ]);
  const hdr = 64 + 56;
  const total = hdr + code.length + msg.length;
  const b = Buffer.alloc(total);
  b.write('\x7fELF', 0, 'latin1');
  b[4] = 2; // ELFCLASS64
  b[5] = 1; // little-endian
  b[6] = 1; // EV_CURRENT
  b.writeUInt16LE(2, 16); // ET_EXEC
  b.writeUInt16LE(62, 18); // EM_X86_64
  b.writeUInt32LE(1, 20);
  b.writeBigUInt64LE(BigInt(base + hdr), 24); // e_entry
  b.writeBigUInt64LE(64n, 32); // e_phoff
  b.writeUInt16LE(64, 52); // e_ehsize
  b.writeUInt16LE(56, 54); // e_phentsize
  b.writeUInt16LE(1, 56); // e_phnum
  b.writeUInt32LE(1, 64); // PT_LOAD
  b.writeUInt32LE(5, 68); // R+X
  b.writeBigUInt64LE(0n, 72); // p_offset
  b.writeBigUInt64LE(BigInt(base), 80);
  b.writeBigUInt64LE(BigInt(base), 88);
  b.writeBigUInt64LE(BigInt(total), 96);
  b.writeBigUInt64LE(BigInt(total), 104);
  b.writeBigUInt64LE(0x1000n, 112);
  code.copy(b, hdr);
  msg.copy(b, hdr + code.length);
  return b;
}

async function moduleBytes(modulePath: string, tmp: string): Promise<string> {
  if (modulePath.endsWith('.ko')) return modulePath;
  // busybox insmod passes the file to init_module, which wants an uncompressed ELF object
  const out = path.join(tmp, 'qemu_fw_cfg.ko');
  const tool = modulePath.endsWith('.xz') ? 'xz' : modulePath.endsWith('.zst') ? 'zstd' : 'gzip';
  await runChecked(tool, ['-dc', modulePath], { stdoutFile: out, timeoutMs: 60_000 });
  return out;
}

/**
 * Builds (once, cached by content) the busybox initramfs for `kernel` (the host's x86_64 kernel by
 * default, or a foreign one from guest-arch.ts); returns its path.
 */
export async function buildInitramfs(kernel: HostKernel | GuestKernel = guestKernel('x86_64')): Promise<string> {
  const arch = 'arch' in kernel ? kernel.arch : 'x86_64';
  const busybox = 'busybox' in kernel ? kernel.busybox : BUSYBOX;
  const withPause = arch === 'x86_64';
  const init = withPause ? INIT_SCRIPT : FOREIGN_INIT_SCRIPT;
  const hash = createHash('sha256').update(init);
  if (withPause) hash.update(pauseProgram());
  hash.update(kernel.release);
  if (kernel.fwCfgModule) hash.update(readFileSync(kernel.fwCfgModule));
  const key = hash
    .update(String(statSync(busybox).size))
    .update(String(statSync(busybox).mtimeMs))
    .digest('hex')
    .slice(0, 16);
  const root = cacheRoot();
  mkdirSync(root, { recursive: true });
  const out = path.join(root, `initramfs-${kernel.release}-${key}.cpio.gz`);
  if (existsSync(out)) return out;
  const tmp = mkdtempSync(path.join(root, 'initramfs-build-'));
  try {
    const tree = path.join(tmp, 'root');
    for (const d of ['bin', 'lib', 'proc', 'sys', 'dev', 'tmp']) mkdirSync(path.join(tree, d), { recursive: true });
    copyFileSync(busybox, path.join(tree, 'bin', 'busybox'));
    chmodSync(path.join(tree, 'bin', 'busybox'), 0o755);
    if (kernel.fwCfgModule) copyFileSync(await moduleBytes(kernel.fwCfgModule, tmp), path.join(tree, 'lib', 'qemu_fw_cfg.ko'));
    writeFileSync(path.join(tree, 'init'), init, { mode: 0o755 });
    if (withPause) writeFileSync(path.join(tree, 'pause'), pauseProgram(), { mode: 0o755 });
    const partial = path.join(tmp, 'initramfs.cpio.gz');
    await runChecked('sh', ['-c', `cd '${tree}' && find . | cpio -o -H newc --quiet | gzip -1 > '${partial}'`], {
      timeoutMs: 120_000,
    });
    renameSync(partial, out);
    return out;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

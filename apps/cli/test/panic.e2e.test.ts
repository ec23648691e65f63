import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makedumpfileDmesg, referenceGuest, type ReferenceGuest } from '@vmcore/qemu-guest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vmcore } from './run.js';

// A guest that panicked (sysrq c with panic=0), dumped by QEMU in its panic loop.
let ref: ReferenceGuest;
let dir: string;

beforeAll(async () => {
  ref = await referenceGuest({ panic: true });
  dir = await mkdtemp(join(tmpdir(), 'vmcore-panic-e2e-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a guest that panicked', () => {
  it("vmcore info shows the kernel's panic line from QEMU's ELF", async () => {
    const text = await vmcore(['info', ref.qemuElf]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.toString()).toMatch(/^panic: +at \d+\.\d{6} s after boot\n {2}Kernel panic - not syncing: sysrq triggered crash$/m);
    const json = await vmcore(['info', ref.qemuElf, '--json']);
    const d = JSON.parse(json.stdout.toString()) as { kernel: { logSource: string; panic: { panic: string; at: number } } };
    expect(d.kernel.logSource).toBe('printk_ringbuffer');
    expect(d.kernel.panic.panic).toBe('Kernel panic - not syncing: sysrq triggered crash');
    // the console saw the same panic
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(ref.consoleLog, 'latin1')).toContain('Kernel panic - not syncing: sysrq triggered crash');
  });

  it('shows the same summary for our kdump of it, and vmcore dmesg equals makedumpfile --dump-dmesg', async () => {
    const out = join(dir, 'panic.kdump');
    const ran = await vmcore(['convert', ref.qemuElf, out, '--format', 'kdump-raw-zlib', '--dump-level', '31', '--quiet']);
    expect(ran.code, ran.stderr).toBe(0);
    const info = await vmcore(['info', out]);
    expect(info.stdout.toString()).toContain('  Kernel panic - not syncing: sysrq triggered crash\n');
    const dmesg = await vmcore(['dmesg', out]);
    expect(dmesg.stdout.toString('latin1')).toBe(await makedumpfileDmesg(out));
    expect(dmesg.stdout.toString('latin1')).toMatch(/\] Kernel panic - not syncing: sysrq triggered crash\n/);
  }, 300_000);

  it('says so when the log has no panic', async () => {
    const healthy = await referenceGuest();
    const text = await vmcore(['info', healthy.qemuElf]);
    expect(text.stdout.toString()).toMatch(/^panic: +none in the kernel log$/m);
  });
});

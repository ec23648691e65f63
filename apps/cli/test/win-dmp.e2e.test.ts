import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { winReferenceGuest, type WinReferenceGuest } from '@vmcore/win-guest';
import { vmcore } from './run.js';

let dir: string;
let ref: WinReferenceGuest;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmcore-cli-windmp-'));
  ref = await winReferenceGuest({ cpus: 4, kdbg: 'encoded', highMemory: true, bugcheckCode: 0xe2 });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('vmcore and win-dmp (synthetic Windows guest under QEMU 7.2)', () => {
  it("convert --format win-dmp writes QEMU's file byte for byte", async () => {
    const out = join(dir, 'guest.dmp');
    const ran = await vmcore(['convert', ref.qemuElf, out, '--format', 'win-dmp']);
    expect(ran.stderr.toString()).toBe('');
    expect(ran.code).toBe(0);
    expect(Buffer.compare(await readFile(out), await readFile(ref.qemuDmp))).toBe(0);
  });

  it('convert --format win-dmp to stdout streams the same bytes', async () => {
    const ran = await vmcore(['convert', ref.qemuElf, '-', '--format', 'win-dmp']);
    expect(ran.code).toBe(0);
    expect(Buffer.compare(ran.stdout, await readFile(ref.qemuDmp))).toBe(0);
  });

  it('info shows the Windows header', async () => {
    const ran = await vmcore(['info', ref.qemuDmp]);
    expect(ran.code).toBe(0);
    const text = ran.stdout.toString();
    expect(text).toMatch(/^format: +win-dmp$/m);
    expect(text).toMatch(/^win-dmp: +'PAGEDU64', 64-bit header \(8192 bytes\), version 15\.19041, machine 0x8664$/m);
    expect(text).toMatch(/^ {2}CPUs: +4$/m);
    expect(text).toMatch(/^ {2}bugcheck: +0xe2 \(0xdead0000, 0xdead0001, 0xdead0002, 0xdead0003\)$/m);
    expect(text).toContain(`KdDebuggerDataBlock ${ref.facts.kdbgDecodedVirt}`);
    expect(text).toContain(`DirectoryTableBase 0x${ref.facts.directoryTableBase.toString(16)}`);
    expect(text).toMatch(new RegExp(`^ {2}runs: +3 run\\(s\\), ${ref.facts.numberOfPages} page\\(s\\)$`, 'm'));
    const json = JSON.parse((await vmcore(['info', ref.qemuDmp, '--json'])).stdout.toString());
    expect(json.winDmp).toMatchObject({
      signature: 'PAGE',
      validDump: 'DU64',
      numberProcessors: 4,
      requiredDumpSpace: `0x${(8192 + ref.facts.numberOfPages * 4096).toString(16)}`,
    });
  });

  it('converts a win-dmp back to an ELF and a kdump file with the runs as memory', async () => {
    for (const format of ['elf', 'kdump-zlib']) {
      const out = join(dir, `back.${format}`);
      const ran = await vmcore(['convert', ref.qemuDmp, out, '--format', format]);
      expect(ran.code).toBe(0);
      const info = JSON.parse((await vmcore(['info', out, '--json'])).stdout.toString());
      expect(info.blocks.map((b: { start: number; size: number }) => [b.start, b.size])).toEqual(
        ref.facts.runs.map((r) => [r.basePage * 4096, r.pageCount * 4096]),
      );
    }
  });
});

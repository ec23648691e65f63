import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyGuest } from '@vmcore/dump';
import { dumpGuest, openGuest } from '@vmcore/dump/node';
import { syntheticGuest } from '@vmcore/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN, pipeline, vmcore } from './run.js';

let dir: string;
let elf: string;

async function sameAsSynthetic(path: string) {
  const source = syntheticGuest();
  const back = await openGuest(path);
  try {
    return await verifyGuest(source, back);
  } finally {
    await back.close();
  }
}

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmcore-cli-test-'));
  elf = join(dir, 'synthetic.elf');
  await dumpGuest(syntheticGuest(), 'elf', elf);
});

describe('vmcore help and usage errors', () => {
  it.each(['convert', 'dump', 'info', 'dmesg', 'reassemble', 'demo'])('prints help for %s and exits 0', async (command) => {
    const ran = await vmcore([command, '--help']);
    expect(ran.code).toBe(0);
    expect(ran.stdout.toString()).toContain(`Usage: vmcore ${command}`);
  });

  it('lists the commands and every format in the main help', async () => {
    const ran = await vmcore(['--help']);
    expect(ran.code).toBe(0);
    expect(ran.stdout.toString()).toMatch(/convert[\s\S]*dump[\s\S]*info[\s\S]*reassemble[\s\S]*demo/);
    expect(ran.stdout.toString()).toContain('kdump-raw-snappy');
  });

  it('exits 2 without a command', async () => {
    expect((await vmcore([])).code).toBe(2);
  });

  it('exits 2 with one line for an unknown command and an unknown option', async () => {
    const unknown = await vmcore(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.split('\n')[0]).toBe("vmcore: unknown command 'frobnicate'");
    const option = await vmcore(['convert', elf, 'x', '--format', 'elf', '--bogus']);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/^vmcore: Unknown option '--bogus'/);
  });

  it('exits 2 when --format is missing or a number is not a number', async () => {
    expect((await vmcore(['convert', elf, join(dir, 'x')])).stderr).toMatch(/^vmcore: --format is required/);
    const bad = await vmcore(['convert', elf, join(dir, 'x'), '--format', 'elf', '--begin', 'twelve', '--length', '1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--begin 'twelve' is not a number/);
  });

  it("exits 1 with QEMU's text for a filtered kdump, and with the list for an unknown format", async () => {
    const filtered = await vmcore(['convert', elf, join(dir, 'x'), '--format', 'kdump-zlib', '--begin', '0', '--length', '4K']);
    expect(filtered.code).toBe(1);
    expect(filtered.stderr).toBe("vmcore: kdump-compressed format doesn't support paging or filter\n");
    const unknown = await vmcore(['convert', elf, join(dir, 'x'), '--format', 'zip']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^vmcore: unknown dump format 'zip'/);
  });

  it('names unknown input content in one line without a stack trace', async () => {
    const junk = join(dir, 'junk.bin');
    await writeFile(junk, 'hello, this is not a vmcore');
    const ran = await vmcore(['info', junk]);
    expect(ran.code).toBe(1);
    expect(ran.stderr.trim().split('\n')).toHaveLength(1);
    expect(ran.stderr).toMatch(/^vmcore: .*junk\.bin: unknown content/);
  });
});

describe('vmcore convert and info round trips', () => {
  it.each(['kdump-zlib', 'kdump-raw-lzo', 'kdump-raw-snappy', 'elf'])(
    'converts ELF to %s and back with every page intact',
    async (format) => {
      const out = join(dir, `rt.${format}`);
      const ran = await vmcore(['convert', elf, out, '--format', format]);
      expect(ran.stderr).toBe('');
      expect(ran.code).toBe(0);
      expect(await sameAsSynthetic(out)).toMatchObject({ mismatchedPages: 0, notesMatch: true });
      const back = join(dir, `rt.${format}.elf`);
      expect((await vmcore(['convert', out, back, '--format', 'elf'])).code).toBe(0);
      expect(await sameAsSynthetic(back)).toMatchObject({ mismatchedPages: 0, notesMatch: true });
    },
  );

  it('describes a kdump file as JSON: format, CPUs, VMCOREINFO, phys_base and page statistics', async () => {
    const out = join(dir, 'info.kdump');
    expect((await vmcore(['convert', elf, out, '--format', 'kdump-raw-zlib'])).code).toBe(0);
    const ran = await vmcore(['info', out, '--json']);
    expect(ran.code).toBe(0);
    const info = JSON.parse(ran.stdout.toString());
    expect(info).toMatchObject({
      format: 'kdump',
      arch: 'x86_64',
      pageSize: 4096,
      nrCpus: 1,
      vmcoreinfo: { osrelease: '6.1.0-synthetic' },
      physBase: { value: '0x0', source: 'vmcoreinfo' },
      kdump: { codec: 'zlib', flattened: false, pages: 4000, headerPhysBase: '0x0' },
    });
    // The synthetic guest: every 4th page zero, every 4th random (stored raw), the rest text.
    expect(info.kdump.zeroPages + info.kdump.compressedPages + info.kdump.rawPages).toBe(4000);
    expect(info.kdump.zeroPages).toBe(1000);
    expect(info.kdump.rawPages).toBe(1000);
  });

  it('prints a readable summary of an ELF core', async () => {
    const ran = await vmcore(['info', elf]);
    expect(ran.code).toBe(0);
    const text = ran.stdout.toString();
    expect(text).toMatch(/^format: +elf$/m);
    expect(text).toMatch(/^machine: +x86_64 \(e_machine 62\)$/m);
    expect(text).toMatch(/^ +OSRELEASE: +6\.1\.0-synthetic$/m);
    expect(text).toMatch(/^phys_base: +0x0 = 0 \(vmcoreinfo\)$/m);
  });

  it('fails on a full disk with one line and exit 1', async () => {
    const ran = await vmcore(['convert', elf, '/dev/full', '--format', 'elf']);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/^vmcore: .*No space left on device\n$/);
  });

  it('leaves no partial output when the input is cut short', async () => {
    const cut = join(dir, 'cut.elf');
    const whole = await readFile(elf);
    await writeFile(cut, whole.subarray(0, whole.length >> 1));
    const outDir = await mkdtemp(join(dir, 'out-'));
    const ran = await vmcore(['convert', cut, join(outDir, 'out.kdump'), '--format', 'kdump-raw-zlib']);
    expect(ran.code).toBe(1);
    expect(ran.stderr.trim().split('\n')).toHaveLength(1);
    expect(await readdir(outDir)).toEqual([]);
  });
});

describe('vmcore with pipes', () => {
  it('writes a flattened kdump to stdout that vmcore reassemble turns back into a raw one', async () => {
    const flat = await vmcore(['convert', elf, '-', '--format', 'kdump-zlib']);
    expect(flat.code).toBe(0);
    expect(flat.stdout.subarray(0, 12).toString()).toBe('makedumpfile');
    const raw = join(dir, 'reassembled.kdump');
    const ran = await vmcore(['reassemble', '-', raw], { stdin: flat.stdout });
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect((await readFile(raw)).subarray(0, 8).toString()).toBe('KDUMP   ');
    expect(await sameAsSynthetic(raw)).toMatchObject({ mismatchedPages: 0 });
  });

  it('refuses kdump-raw to a pipe with the seekable-file error', async () => {
    const ran = await vmcore(['convert', elf, '-', '--format', 'kdump-raw-zlib']);
    expect(ran.code).toBe(1);
    expect(ran.stdout.length).toBe(0);
    expect(ran.stderr).toBe('vmcore: kdump-raw formats require a seekable file\n');
  });

  it('exits 1 with one line when the reader of stdout goes away', async () => {
    const result = await pipeline(`'${process.execPath}' '${MAIN}' convert '${elf}' - --format elf | head -c 100 >/dev/null`);
    expect(result.statuses).toEqual([1, 0]);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^vmcore: .*Broken pipe/);
  });
});

describe('vmcore info to a closed pipe', () => {
  it('exits 1 with one line, no stack trace, when the reader has already gone', async () => {
    // The reader closes its end at once; vmcore takes far longer to start than that.
    const result = await pipeline(`'${process.execPath}' '${MAIN}' info '${elf}' | (exec 0<&-; sleep 1)`);
    expect(result.statuses[0]).toBe(1);
    expect(result.stderr).toMatch(/^vmcore: cannot write to stdout: Broken pipe\n$/);
  });
});

describe('vmcore dump from raw RAM', () => {
  it('dumps RAM files through a block map with the CPU notes of another dump', async () => {
    const source = syntheticGuest();
    const low = await source.read(0, 640 << 10);
    const high = await source.read(1 << 20, 15 << 20);
    await writeFile(join(dir, 'low.img'), low);
    await writeFile(join(dir, 'high.img'), high);
    const map = join(dir, 'map.json');
    await writeFile(
      map,
      JSON.stringify({
        blocks: [
          { start: 0, size: 640 << 10, file: 'low.img', offset: 0, name: 'pc.ram' },
          { start: 1 << 20, size: 15 << 20, file: 'high.img', offset: 0, name: 'pc.ram' },
        ],
      }),
    );
    const out = join(dir, 'from-ram.kdump');
    const ran = await vmcore(['dump', '--map', map, '--notes-from', elf, '--format', 'kdump-raw-snappy', out]);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(await sameAsSynthetic(out)).toMatchObject({ mismatchedPages: 0, notesMatch: true });
  });

  it('finds the VMCOREINFO note through a raw fw_cfg entry given in hex', async () => {
    const source = syntheticGuest();
    const low = await source.read(0, 640 << 10);
    low.set(source.guestNote!, 0x2000);
    await writeFile(join(dir, 'note-low.img'), low);
    const map = join(dir, 'note-map.json');
    await writeFile(map, JSON.stringify({ blocks: [{ start: 0, size: 640 << 10, file: 'note-low.img', offset: 0 }] }));
    // host_format 1, guest_format 1, size 4096, paddr 0x2000 (little-endian FWCfgVMCoreInfo)
    const entry = '0100' + '0100' + '00100000' + '0020000000000000';
    const out = join(dir, 'with-note.elf');
    const ran = await vmcore(['dump', '--map', map, '--vmcoreinfo-entry', entry, '--format', 'elf', out]);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    const info = JSON.parse((await vmcore(['info', out, '--json'])).stdout.toString());
    expect(info.vmcoreinfo.osrelease).toBe('6.1.0-synthetic');
    const bad = await vmcore(['dump', '--map', map, '--vmcoreinfo-entry', '0102', '--format', 'elf', out]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--vmcoreinfo-entry must be 16 bytes as 32 hex digits/);
  });

  it('requires --map', async () => {
    const ran = await vmcore(['dump', '--format', 'elf', join(dir, 'x')]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(/^vmcore: --map is required/);
  });
});

describe('vmcore demo', () => {
  it("dumps a guest into every format, verifies each, and win-dmp of the sample Windows guest against QEMU's", async () => {
    const ran = await vmcore(['demo', '--guest', elf]);
    expect(ran.code).toBe(0);
    const text = ran.stdout.toString();
    for (const format of ['elf', 'kdump-zlib', 'kdump-lzo', 'kdump-snappy', 'kdump-raw-zlib', 'kdump-raw-lzo', 'kdump-raw-snappy']) {
      expect(text).toMatch(new RegExp(`^${format} .* 4000 +✓`, 'm'));
    }
    expect(text).toMatch(/^win-dmp .*✓ +sample Windows guest: identical to QEMU 7\.2\.\d+'s win-dmp$/m);
    expect(text).toMatch(/^8 format\(s\) verified, 0 failed/m);
  });
});

describe('vmcore dmesg and --dump-level on a guest whose VMCOREINFO lacks what they need', () => {
  it('dmesg names the missing entries and exits 1', async () => {
    const ran = await vmcore(['dmesg', elf]);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toBe('vmcore: VMCOREINFO has neither SYMBOL(prb) nor SYMBOL(log_buf), which the kernel log needs\n');
  });

  it('--dump-level names the first missing entry and leaves no output', async () => {
    const out = join(dir, 'level.kdump');
    const ran = await vmcore(['convert', elf, out, '--format', 'kdump-raw-zlib', '--dump-level', '31']);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/^vmcore: VMCOREINFO has no [A-Z]+\([a-z_.]+\), which dump level 31 needs/);
    expect((await readdir(dir)).filter((f) => f.startsWith('level.kdump'))).toEqual([]);
  });

  it('--dump-level outside 0-31 is a usage error', async () => {
    const ran = await vmcore(['convert', elf, join(dir, 'x.kdump'), '--format', 'kdump-raw-zlib', '--dump-level', '32']);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(/^vmcore: --dump-level '32' is not a number from 0 to 31/);
  });
});

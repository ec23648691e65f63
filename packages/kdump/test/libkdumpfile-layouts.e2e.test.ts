import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySink } from '@vmcore/bytes';
import { writeKdump, type PageCodec } from '../src/index.js';
import { contentBytes, syntheticGuest, vmcoreinfoNote, type SyntheticOptions } from './synthetic.js';

// Reads the blocks listed in argv[2] (JSON) from the dump with libkdumpfile (machine-physical
// addresses) and compares them with the expected bytes file; prints a JSON summary.
const SCRIPT = `
import json, sys, kdumpfile
dump, blocks, expected = sys.argv[1], json.loads(sys.argv[2]), open(sys.argv[3], 'rb').read()
k = kdumpfile.kdumpfile(dump)
bad, at = [], 0
for start, size in blocks:
    got = bytes(k.read(kdumpfile.KDUMP_MACHPHYSADDR, start, size))
    if got != expected[at:at + size]:
        bad.append(hex(start))
    at += size
attr = lambda key: str(k.attr[key]) if key in k.attr else None
print(json.dumps({"bad": bad, "arch": attr("arch.name"), "byteOrder": attr("arch.byte_order"), "ptrSize": attr("arch.ptr_size"), "pageSize": attr("arch.page_size"), "release": attr("linux.uts.release")}))
`;

const dir = mkdtempSync(join(tmpdir(), 'kdump-layouts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function python(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('/usr/bin/python3', args, { maxBuffer: 1 << 20 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

const cases: { name: string; options: SyntheticOptions; codec: PageCodec; arch: string; byteOrder: 'le' | 'be'; ptrSize: string }[] = [
  {
    name: 'i386 (DiskDumpHeader32, KdumpSubHeader32)',
    options: { blocks: [], info: { elfClass: 32, machine: 3, arch: 'i386' } },
    codec: 'zlib',
    arch: 'ia32',
    byteOrder: 'le',
    ptrSize: '4',
  },
  {
    name: 's390x (big-endian)',
    options: { blocks: [], info: { endian: 'be', machine: 22, arch: 's390x' } },
    codec: 'lzo',
    arch: 's390x',
    byteOrder: 'be',
    ptrSize: '8',
  },
  {
    name: 'aarch64 with 64 KiB pages',
    options: { blocks: [], info: { machine: 183, arch: 'aarch64', pageSize: 65536 } },
    codec: 'snappy',
    arch: 'aarch64',
    byteOrder: 'le',
    ptrSize: '8',
  },
];

describe('libkdumpfile reads layouts the QEMU reference guest does not cover', () => {
  for (const c of cases) {
    it(`${c.name}: every page, the architecture and the release`, async () => {
      const pageSize = c.options.info?.pageSize ?? 4096;
      const blocks = [
        { start: 0, size: 16 * pageSize },
        { start: 40 * pageSize, size: 24 * pageSize },
      ];
      const guest = syntheticGuest({
        ...c.options,
        blocks,
        guestNote: vmcoreinfoNote('OSRELEASE=6.1.0-test\n', c.options.info?.endian ?? 'le'),
      });
      const sink = new MemorySink();
      await writeKdump(guest, sink, { codec: c.codec, workers: 0, utsname: { version: '#1 SMP' } });
      const dump = join(dir, `${c.arch}.kdump`);
      const expected = join(dir, `${c.arch}.bin`);
      writeFileSync(dump, sink.bytesCopy());
      const parts = blocks.map((b) => contentBytes(b.start, b.size, pageSize));
      writeFileSync(expected, Buffer.concat(parts));
      const result = JSON.parse(await python(['-c', SCRIPT, dump, JSON.stringify(blocks.map((b) => [b.start, b.size])), expected]));
      // libkdumpfile's KDUMP_LITTLE_ENDIAN is 1, KDUMP_BIG_ENDIAN 0.
      const byteOrder = c.byteOrder === 'le' ? '1' : '0';
      expect(result).toEqual({ bad: [], arch: c.arch, byteOrder, ptrSize: c.ptrSize, pageSize: String(pageSize), release: '6.1.0-test' });
    }, 120_000);
  }
});

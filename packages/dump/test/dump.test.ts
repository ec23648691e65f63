import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MemorySink, MemorySource } from '@vmcore/bytes';
import { readElfCore } from '@vmcore/elf';
import { readGuestNote } from '../src/index.js';
import { dumpGuest } from '../src/node/index.js';
import { memoryGuest, syntheticGuest } from '@vmcore/test-support';
import { encodeNoteLe } from '@vmcore/test-support';
import { failingGuest, listDir, smallGuest, tempDir } from './helpers.js';

function windowsNote(signature = 'PAGEDU64'): Uint8Array {
  const desc = new Uint8Array(0x2000);
  for (let i = 0; i < signature.length; i++) desc[i] = signature.charCodeAt(i);
  return encodeNoteLe('VMCOREINFO', 0, desc);
}

describe('dumpGuest argument rules', () => {
  it("refuses a filter for kdump with QEMU's text and creates no file", async () => {
    const dir = await tempDir();
    await expect(dumpGuest(smallGuest(), 'kdump-zlib', join(dir, 'out'), { filter: { begin: 0, length: 4096 } })).rejects.toThrow(
      "kdump-compressed format doesn't support paging or filter",
    );
    expect(await listDir(dir)).toEqual([]);
  });

  it('refuses kdump-raw-* to a stream: they need a seekable file', async () => {
    const stream = new PassThrough();
    let written = 0;
    stream.on('data', (chunk: Buffer) => (written += chunk.length));
    await expect(dumpGuest(smallGuest(), 'kdump-raw-zlib', stream)).rejects.toMatchObject({
      code: 'VMCORE_NOT_SEEKABLE',
      message: 'kdump-raw formats require a seekable file',
    });
    expect(written).toBe(0);
  });

  it('refuses begin without length like QEMU', async () => {
    await expect(dumpGuest(smallGuest(), 'elf', new PassThrough(), { begin: 0 })).rejects.toThrow("Parameter 'length' is missing");
  });

  it('says "no guest memory to dump" for a filter that selects no RAM', async () => {
    await expect(dumpGuest(smallGuest(), 'elf', new PassThrough(), { filter: { begin: 0x4000_0000, length: 4096 } })).rejects.toThrow(
      'dump: no guest memory to dump',
    );
  });

  it('needs the QEMU CPU notes for paging=true, to find the page tables', async () => {
    const noQemuNotes = memoryGuest({
      info: { elfClass: 64, endian: 'le', machine: 62, arch: 'x86_64', pageSize: 4096 },
      blocks: [{ start: 0, bytes: new Uint8Array(8192) }],
    });
    await expect(dumpGuest(noQemuNotes, 'elf', new PassThrough(), { paging: true })).rejects.toThrow(/no "QEMU" CPU notes/);
  });

  it('maps virt = phys with paging=true when no CPU has paging enabled, as QEMU does', async () => {
    const sink = new MemorySink();
    const stream = new PassThrough();
    stream.on('data', (c: Buffer) => void sink.write(new Uint8Array(c)));
    const ended = new Promise((resolve) => stream.on('end', resolve));
    await dumpGuest(syntheticGuest({ ramMiB: 1 }), 'elf', stream, { paging: true });
    await ended;
    const core = await readElfCore(new MemorySource(sink.bytesCopy()));
    expect(core.loads.map((l) => [l.physAddr, l.virtAddr])).toEqual([
      [0, 0n],
      [0x100000, 0x100000n],
    ]);
  });

  it('rejects an unknown format name', async () => {
    await expect(dumpGuest(smallGuest(), 'kdump-zstd', new PassThrough())).rejects.toThrow(/unknown dump format 'kdump-zstd'/);
  });
});

describe('win-dmp', () => {
  it("needs the Windows header in the guest note, with QEMU's error text", async () => {
    const dir = await tempDir();
    await expect(dumpGuest(syntheticGuest(), 'win-dmp', join(dir, 'out.dmp'))).rejects.toThrow('win-dump: invalid vmcoreinfo note size');
    expect(await listDir(dir)).toEqual([]);
  });

  it.each([
    ['PAGXDU64', "win-dump: invalid header, expected 'PAGE', got 'PAGX'"],
    ['PAGEDU32', "win-dump: invalid header, expected 'DUMP' or 'DU64', got 'DU32'"],
  ])('checks the signature of a note of the right size (%s)', async (signature, message) => {
    expect(windowsNote().length).toBe(0x2018);
    await expect(dumpGuest(smallGuest(windowsNote(signature)), 'win-dmp', new PassThrough())).rejects.toThrow(message);
  });

  it('refuses a guest that is not x86 before looking at its note', async () => {
    const guest = memoryGuest({
      info: { elfClass: 64, endian: 'le', machine: 183, arch: 'aarch64', pageSize: 65536 },
      blocks: [{ start: 0x40000000, bytes: new Uint8Array(65536) }],
    });
    await expect(dumpGuest(guest, 'win-dmp', new PassThrough())).rejects.toThrow('Windows dump is only available for x86-64');
  });
});

describe('guest note from the fw_cfg entry', () => {
  it('reads the VMCOREINFO note from guest memory and keeps only the note', async () => {
    const guest = syntheticGuest();
    const note = guest.guestNote!;
    // Where a guest would put it: copy the note into a page of RAM and point the entry at it.
    const ram = await guest.read(0x2000, 4096);
    const entry = { paddr: 0x2000, size: 4096 };
    const warnings: string[] = [];
    const patched = {
      ...guest,
      read: async (addr: number, len: number) => {
        const bytes = addr === 0x2000 ? ram.slice(0, len) : await guest.read(addr, len);
        if (addr === 0x2000) bytes.set(note);
        return bytes;
      },
    };
    const read = await readGuestNote(patched, entry, (w) => warnings.push(w));
    expect(read).toEqual(note);
    expect(warnings).toEqual([]);
  });

  it("warns with QEMU's text and goes on without a note when the size is invalid", async () => {
    const warnings: string[] = [];
    expect(await readGuestNote(smallGuest(), { paddr: 0, size: 4 }, (w) => warnings.push(w))).toBeUndefined();
    expect(warnings).toEqual(['guest note size is invalid: 4']);
  });

  it('accepts the raw 16-byte entry', async () => {
    const entry = new Uint8Array(16);
    const view = new DataView(entry.buffer);
    view.setUint16(0, 1, true);
    view.setUint16(2, 1, true);
    view.setUint32(4, 2 << 20, true); // larger than 1 MiB
    const warnings: string[] = [];
    expect(await readGuestNote(smallGuest(), entry, (w) => warnings.push(w))).toBeUndefined();
    expect(warnings).toEqual([`guest note size is invalid: ${2 << 20}`]);
  });
});

describe('dumpGuest outputs (ELF writer)', () => {
  it('writes a file that appears only when complete, with the requested mode', async () => {
    const dir = await tempDir();
    const target = join(dir, 'guest.elf');
    const seen: number[][] = [];
    const result = await dumpGuest(smallGuest(), 'elf', target, { mode: 0o400, onProgress: (c, t) => seen.push([c, t]) });
    expect(await listDir(dir)).toEqual(['guest.elf']);
    expect((await stat(target)).mode & 0o777).toBe(0o400);
    expect(result.total).toBe(1 << 20);
    expect(result.size).toBe((await stat(target)).size);
    expect([...(await readFile(target)).subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    // Progress: total is every guest byte, completed only grows and ends at total.
    expect(seen.every(([, t]) => t === 1 << 20)).toBe(true);
    expect(seen.map(([c]) => c)).toEqual([...seen.map(([c]) => c)].sort((a, b) => a! - b!));
    expect(seen.at(-1)).toEqual([1 << 20, 1 << 20]);
  });

  it('leaves nothing behind when the source fails midway', async () => {
    const dir = await tempDir();
    await expect(dumpGuest(failingGuest(smallGuest(), 256 << 10), 'elf', join(dir, 'guest.elf'))).rejects.toThrow('RAM file vanished');
    expect(await listDir(dir)).toEqual([]);
  });

  it("reports a full disk with QEMU's errno text", async () => {
    await expect(dumpGuest(smallGuest(), 'elf', '/dev/full')).rejects.toThrow(/No space left on device/);
  });

  it('streams elf to a Writable and ends it', async () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise((resolve) => stream.on('end', resolve));
    const result = await dumpGuest(smallGuest(), 'elf', stream);
    await ended;
    expect(Buffer.concat(chunks).length).toBe(result.size);
  });

  it('stops and removes the partial file when cancelled', async () => {
    const dir = await tempDir();
    const controller = new AbortController();
    const promise = dumpGuest(syntheticGuest(), 'elf', join(dir, 'guest.elf'), {
      signal: controller.signal,
      onProgress: (completed) => {
        if (completed > 0) controller.abort(new Error('user pressed ^C'));
      },
    });
    await expect(promise).rejects.toThrow(/dump cancelled: user pressed \^C/);
    expect(await listDir(dir)).toEqual([]);
  });
});

describe('dumpGuest output errors', () => {
  it("names the target (not the temporary file) with QEMU's text when its folder is missing", async () => {
    await expect(dumpGuest(smallGuest(), 'elf', '/nonexistent-dir/x.elf')).rejects.toThrow(
      "Could not open '/nonexistent-dir/x.elf': No such file or directory",
    );
  });
});

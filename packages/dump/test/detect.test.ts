import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { MemorySink, MemorySource } from '@vmcore/bytes';
import { FileSource } from '@vmcore/bytes/node';
import { FlattenedSink } from '@vmcore/flat';
import { describe, expect, it } from 'vitest';
import { detectFormat, detectFormatFromBytes } from '../src/index.js';
import { openGuest } from '../src/node/index.js';
import { tempDir, writeTemp } from './helpers.js';

const bytes = (text: string, size = 64) => {
  const out = new Uint8Array(size);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
};

async function flattenedFile(): Promise<Uint8Array> {
  const out = new MemorySink();
  const sink = new FlattenedSink(out);
  await sink.write(0, bytes('KDUMP   ', 4096));
  await sink.finish();
  return out.bytesCopy();
}

describe('detectFormat', () => {
  it('recognises each kind from a small file on disk', async () => {
    const dir = await tempDir();
    const cases: [string, Uint8Array, string][] = [
      ['core.elf', bytes('\x7fELF\x02\x01\x01'), 'elf'],
      ['qemu72.elf', bytes('\x7fELF\x02\x01\x01\x00'), 'elf'],
      ['raw.kdump', bytes('KDUMP   \x06'), 'kdump'],
      ['old.kdump', bytes('DISKDUMP'), 'kdump'],
      ['flat.kdump', await flattenedFile(), 'kdump-flattened'],
      ['win.dmp', bytes('PAGEDU64'), 'win-dmp'],
    ];
    for (const [name, content, expected] of cases) {
      const source = await FileSource.open(await writeTemp(dir, name, content));
      try {
        expect(await detectFormat(source), name).toBe(expected);
      } finally {
        await source.close();
      }
    }
  });

  it('names the file, the bytes seen and what was expected for unknown content', () => {
    expect(() => detectFormatFromBytes(bytes('GIF89a'), 'picture.gif')).toThrow(
      /picture\.gif: unknown content at offset 0 \(47 49 46 38 39 61 00 00\); expected an ELF core/,
    );
  });

  it('calls a too-short file truncated', async () => {
    await expect(detectFormat(new MemorySource(new Uint8Array(3), 'tiny'))).rejects.toMatchObject({ code: 'VMCORE_TRUNCATED' });
  });

  it('does not take a file that merely starts with "makedumpfile" text for a flattened dump', () => {
    expect(() => detectFormatFromBytes(bytes('makedumpfile is a tool'))).toThrow(/unknown content/);
  });
});

describe('openGuest', () => {
  it('refuses unknown content with VMCORE_BAD_MAGIC', async () => {
    const dir = await tempDir();
    const path = await writeTemp(dir, 'junk.bin', bytes('not a dump at all'));
    await expect(openGuest(path)).rejects.toMatchObject({ code: 'VMCORE_BAD_MAGIC', message: expect.stringContaining('junk.bin') });
  });

  it('says plainly that a Windows dump is cut short', async () => {
    const dir = await tempDir();
    const path = await writeTemp(dir, 'memory.dmp', bytes('PAGEDU64'));
    await expect(openGuest(path)).rejects.toMatchObject({ code: 'VMCORE_TRUNCATED', message: expect.stringContaining('win-dmp header') });
  });

  it('refuses a pipe, which cannot be read at random', async () => {
    const dir = await tempDir();
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    await expect(openGuest(fifo)).rejects.toMatchObject({ code: 'VMCORE_NOT_SEEKABLE' });
  });

  it('reports a missing file with its path', async () => {
    await expect(openGuest('/nonexistent/vmcore')).rejects.toThrow(/cannot open \/nonexistent\/vmcore/);
  });
});

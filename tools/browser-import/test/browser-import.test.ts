/**
 * Issue 16's browser-style import test: each core package's built entry, and @vmcore/dump's core
 * entry, loads in a vm context without process/require/Buffer and without Node built-ins
 * (check.mjs), and @vmcore/dump's core writes and reads back a dump there.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const CHECK = join(here, '../check.mjs');
/** The built file a dependency's exports map names for `subpath` (import condition). */
function entryOf(name: string, subpath = '.'): string {
  const dir = join(here, '..', 'node_modules', name);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { exports: Record<string, { import: string }> };
  return join(dir, pkg.exports[subpath]!.import);
}

function check(file: string, expression?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const args = ['--experimental-vm-modules', '--no-warnings', CHECK, file, ...(expression ? [expression] : [])];
    execFile(process.execPath, args, { timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const CORE = [
  '@vmcore/bytes',
  '@vmcore/compress',
  '@vmcore/vmcoreinfo',
  '@vmcore/guest-mem',
  '@vmcore/elf',
  '@vmcore/kdump',
  '@vmcore/flat',
  '@vmcore/dump',
  '@vmcore/test-support',
];

describe('core entries load without Node', () => {
  it.each(CORE)('%s', async (name) => {
    const result = await check(entryOf(name));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(Number(result.stdout)).toBeGreaterThan(0); // exports seen
  });

  it('@vmcore/dump/describe (the info model) loads without Node too', async () => {
    expect(await check(entryOf('@vmcore/dump', './describe'))).toMatchObject({ code: 0, stderr: '' });
  });

  it('plans and compresses in the context: planDump refuses raw kdump to a pipe, zlib goes through pako', async () => {
    const dump = await check(
      entryOf('@vmcore/dump'),
      "(() => { try { entry.planDump({ format: 'kdump-raw-zlib', guest: { arch: 'x86_64', blocks: [] }, output: { seekable: false } }); } catch (e) { return e.detail.reason; } })()",
    );
    expect(dump).toMatchObject({ code: 0, stdout: '"not-seekable"\n' });
    const page = 'new Uint8Array(4096).fill(7)';
    const compress = await check(
      entryOf('@vmcore/compress'),
      `(() => { const p = entry.compressPage('zlib', ${page}); return [p.stored, entry.decompressPage('zlib', p.bytes, 4096).every((b) => b === 7)]; })()`,
    );
    expect(compress).toMatchObject({ code: 0, stdout: '["compressed",true]\n' });
  });

  it('writes ELF and raw kdump-zlib of a guest in memory and reads them back page for page', async () => {
    const result = await check(join(here, 'fixtures/dump-in-memory.mjs'), 'entry.run()');
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout) as Record<
      string,
      { pages?: number; mismatchedPages?: number; notesMatch?: boolean; size: number }
    > & { refusal: string };
    for (const format of ['elf', 'kdump-raw-zlib']) {
      expect(report[format]).toMatchObject({ mismatchedPages: 0, notesMatch: true });
      expect(report[format]!.pages).toBeGreaterThan(256);
    }
    expect(report['kdump-snappy']!.size).toBeGreaterThan(4096);
    expect(report.refusal).toBe('not-seekable');
  });
});

describe('the checker refuses what a browser cannot load', () => {
  it('@vmcore/dump/node (paths, descriptors): it imports node:fs', async () => {
    const result = await check(entryOf('@vmcore/dump', './node'));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/imports the Node built-in 'node:fs/);
  });

  it('a module importing node:fs', async () => {
    const result = await check(join(here, 'fixtures/imports-node.mjs'));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/imports the Node built-in 'node:fs'/);
  });

  it('a module using process', async () => {
    const result = await check(join(here, 'fixtures/uses-process.mjs'));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/process is not defined/);
  });
});

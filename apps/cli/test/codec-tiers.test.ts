// The bundled CLI (bin/vmcore.js -> bundle/) with each codec tier: the native addon (libuv thread
// pool), and without it the worker pool started from the bundle's chunks/pool-worker.js with
// libdeflate in WebAssembly, or with node:zlib and the TypeScript codecs. Every tier must write
// files that read back to the same guest memory.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { vmcore } from './run.js';

const SAMPLE = fileURLToPath(new URL('../../../tools/qemu-guest/sample/sample-guest.kdump', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vmcore-cli-tiers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TIERS: Array<[string, Record<string, string>]> = [
  ['native addon', {}],
  ['WebAssembly libdeflate in workers', { VMCORE_NO_NATIVE: '1' }],
  ['node:zlib and TypeScript codecs in workers', { VMCORE_NO_NATIVE: '1', VMCORE_NO_WASM: '1' }],
];

describe('codec tiers through the bundled CLI', () => {
  let reference: Buffer | undefined;
  const elfOf = async (input: string, name: string) => {
    const out = join(dir, `${name}.elf`);
    const ran = await vmcore(['convert', input, out, '--format', 'elf', '-q']);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    return readFileSync(out);
  };

  it.each(TIERS)('%s: kdump-raw-zlib and kdump-raw-lzo of the sample guest read back to the same memory', async (name, env) => {
    reference ??= await elfOf(SAMPLE, 'reference');
    for (const format of ['kdump-raw-zlib', 'kdump-raw-lzo']) {
      const out = join(dir, `${name.replace(/\W+/g, '-')}-${format}.kdump`);
      const ran = await vmcore(['convert', SAMPLE, out, '--format', format, '--workers', '2', '-q'], { env });
      expect(ran.stderr).toBe('');
      expect(ran.code).toBe(0);
      const back = await elfOf(out, `${name.replace(/\W+/g, '-')}-${format}`);
      expect(back.equals(reference), `${name} ${format}`).toBe(true);
    }
  });
});

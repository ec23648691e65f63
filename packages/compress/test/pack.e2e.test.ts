// The published shape: `pnpm pack` @vmcore/bytes and @vmcore/compress (pnpm, not npm: only pnpm
// rewrites `workspace:^` to a version), install both tarballs with npm into an empty directory
// outside the workspace, and use the package there: all codecs, the worker pool (its worker
// file must be in the tarball and resolve beside the built module) and its type declarations.
// Needs the npm registry for pako and snappyjs. Runs after `build` (turbo: test depends on build).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const compressDir = fileURLToPath(new URL('..', import.meta.url));
const bytesDir = join(compressDir, '..', 'bytes');
const work = mkdtempSync(join(tmpdir(), 'vmcore-compress-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const consumer = `
import { compressPage, decompressPage, PageCompressorPool, compressBatch, PAGE_CODECS } from '@vmcore/compress';
const page = new Uint8Array(4096).map((_, i) => (i * 7) % 13);
const out = {};
for (const codec of PAGE_CODECS) {
  const stored = compressPage(codec, page);
  const back = decompressPage(codec, stored.bytes, 4096);
  out[codec] = stored.stored === 'compressed' && back.every((b, i) => b === page[i]);
}
const pages = new Uint8Array(4 * 4096);
pages.set(page, 4096);
const pool = new PageCompressorPool({ codec: 'lzo', workers: 1 });
const batch = await pool.compressBatch(pages, 4096);
await pool.close();
const local = compressBatch('lzo', pages, 4096);
out.pool = Array.from(batch.kinds).join(',') + ' ' + (batch.data.length === local.data.length);
console.log(JSON.stringify(out));
`;

const typedConsumer = `
import { compressPage, decompressPage, type CompressedBatch, type PageCodec } from '@vmcore/compress';
const codec: PageCodec = 'snappy';
const stored: { stored: 'compressed' | 'raw'; bytes: Uint8Array } = compressPage(codec, new Uint8Array(4096));
const page: Uint8Array = decompressPage(codec, stored.bytes, 4096);
export const sizes: CompressedBatch['sizes'] | number = page.length;
`;

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });
}

describe('npm pack of @vmcore/compress', () => {
  it('installs from tarballs into an empty directory and works there', () => {
    run('pnpm', ['pack', '--pack-destination', work], bytesDir);
    run('pnpm', ['pack', '--pack-destination', work], compressDir);
    const tarballs = readdirSync(work)
      .filter((f) => f.endsWith('.tgz'))
      .sort();
    expect(tarballs).toEqual([expect.stringMatching(/^vmcore-bytes-.*\.tgz$/), expect.stringMatching(/^vmcore-compress-.*\.tgz$/)]);

    const listing = run('tar', ['tzf', join(work, tarballs[1]!)], work);
    expect(listing).toContain('package/dist/pool-worker.js');
    expect(listing).not.toMatch(/\.test\./);
    const manifest = JSON.parse(run('tar', ['xzOf', join(work, tarballs[1]!), 'package/package.json'], work)) as {
      dependencies: Record<string, string>;
    };
    expect(manifest.dependencies['@vmcore/bytes']).toMatch(/^\^\d/); // workspace:^ rewritten

    const app = join(work, 'app');
    run('mkdir', ['-p', app], work);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs.map((t) => join(work, t))], app);

    writeFileSync(join(app, 'main.mjs'), consumer);
    const result = JSON.parse(run(process.execPath, ['main.mjs'], app)) as Record<string, unknown>;
    expect(result).toEqual({ zlib: true, lzo: true, snappy: true, pool: '0,1,0,0 true' });

    writeFileSync(join(app, 'typed.ts'), typedConsumer);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, types: [] },
        files: ['typed.ts'],
      }),
    );
    const tsc = createRequire(join(compressDir, 'package.json')).resolve('typescript/bin/tsc');
    run(process.execPath, [tsc, '-p', 'tsconfig.json'], app);
  }, 300_000);
});

// Bundles the CLI into bundle/ (what bin/vmcore.js runs): a command then loads a few files
// instead of ~230 modules (zod alone is 95), which is most of what start-up costs beyond
// Node's own (measured: a 2 MiB `vmcore dump` took 0.19-0.23 CPU s, `node -e 0` 0.05).
//
// Everything is bundled (one copy of @vmcore/bytes, so `instanceof VmcoreError` holds) except
// the optional native addon and WebAssembly codecs, which @vmcore/compress finds at run time with
// createRequire: from the bundle, the CLI's own optional dependencies. Entries mirror src/
// (bundle/cli.js, bundle/commands/demo.js) so that `new URL(…, import.meta.url)` in them resolves
// as it does from dist/.
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const commands = readdirSync(join(root, 'src/commands'))
  .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
  .map((name) => join(root, 'src/commands', name));

// @vmcore/compress starts its workers from `new URL('./pool-worker.js', import.meta.url)`: in the
// bundle that is chunks/pool-worker.js, built here as an entry of its own.
const poolWorker = fileURLToPath(new URL('./pool-worker.js', import.meta.resolve('@vmcore/compress')));

rmSync(join(root, 'bundle'), { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'src/main.ts'), join(root, 'src/cli.ts'), ...commands, { in: poolWorker, out: 'chunks/pool-worker' }],
  outbase: join(root, 'src'),
  outdir: join(root, 'bundle'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  // Optional native and WebAssembly codecs, found at run time with createRequire (from the bundle:
  // the CLI's own optional dependencies).
  external: ['@vmcore/compress-native', '@vmcore/compress-wasm'],
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
});

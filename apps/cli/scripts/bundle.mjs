// Bundles the CLI into bundle/ (what bin/vmcore.js runs): a command then loads a handful of
// files instead of ~230 modules (zod alone is 95), which is most of what start-up costs
// beyond Node's own (measured: a 2 MiB `vmcore dump` took 0.19-0.23 CPU s, `node -e 0` 0.05).
//
// Kept outside the bundle, loaded as installed packages:
// - @vmcore/compress: it finds its worker script, the native addon and its codecs relative to its
//   own files;
// - @vmcore/bytes: one copy shared with @vmcore/compress, so `instanceof VmcoreError` holds.
// Entries mirror src/ (bundle/cli.js, bundle/commands/demo.js) so that `new URL(…, import.meta.url)`
// in them resolves as it does from dist/.
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const commands = readdirSync(join(root, 'src/commands'))
  .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
  .map((name) => join(root, 'src/commands', name));

rmSync(join(root, 'bundle'), { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'src/main.ts'), join(root, 'src/cli.ts'), ...commands],
  outbase: join(root, 'src'),
  outdir: join(root, 'bundle'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  external: ['@vmcore/compress', '@vmcore/compress/*', '@vmcore/compress-native', '@vmcore/bytes', '@vmcore/bytes/*'],
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
});

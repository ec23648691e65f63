// The pool and pack tests run the built package (dist/pool-worker.js: Node 20 cannot start a
// .ts worker). turbo builds before testing; this keeps `pnpm --filter @vmcore/compress test`
// and plain `vitest run` from testing a stale or missing dist/.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const tsc = createRequire(`${root}package.json`).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}

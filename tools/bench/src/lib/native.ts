import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (tools/bench/dist/lib → ../../../..). */
export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/** A C file of tools/bench/native compiled with gcc -O2, cached by source hash in .cache/bench. */
export function compileNative(name: string, libs: string[]): string {
  const source = fileURLToPath(new URL(`../../native/${name}.c`, import.meta.url));
  const hash = createHash('sha256').update(readFileSync(source)).update(libs.join(' ')).digest('hex').slice(0, 12);
  const dir = join(repoRoot, '.cache', 'bench');
  const binary = join(dir, `${name}-${hash}`);
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    execFileSync('gcc', ['-O2', '-Wall', '-o', binary, source, ...libs.map((l) => `-l${l}`)], { stdio: 'inherit' });
  }
  return binary;
}

export function runJson<T>(binary: string, args: string[]): T {
  return JSON.parse(execFileSync(binary, args, { encoding: 'utf8', maxBuffer: 1 << 20 })) as T;
}

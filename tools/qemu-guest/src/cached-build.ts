import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { withLock } from './lock.js';

/** One cached artefact directory: `<root>/<variant>`, built once and then loaded. */
export interface CachedBuildSpec<T> {
  readonly root: string;
  readonly variant: string;
  /** The artefact when `dir` holds a complete build, undefined otherwise. */
  readonly load: (dir: string) => T | undefined;
  /** Fills `building` (a fresh directory); it is renamed to the final directory only when this resolves. */
  readonly build: (building: string, dir: string) => Promise<void>;
  /** Names the cache in errors, e.g. `referenceGuest(seabios-512m)`. */
  readonly label: string;
}

/**
 * Loads `<root>/<variant>`, or builds it under `<variant>.lock` so parallel test processes build
 * it once (the others wait and load it). A build goes into `<variant>.building-<pid>`, renamed into
 * place only when complete; directories of builders that died are removed first.
 */
export async function cachedBuild<T>(spec: CachedBuildSpec<T>): Promise<T> {
  const dir = path.join(spec.root, spec.variant);
  const cached = spec.load(dir);
  if (cached) return cached;
  mkdirSync(spec.root, { recursive: true });
  return withLock(path.join(spec.root, `${spec.variant}.lock`), async () => {
    const again = spec.load(dir);
    if (again) return again;
    removeAbandonedBuilds(spec.root, spec.variant);
    const building = `${dir}.building-${process.pid}`;
    rmSync(building, { recursive: true, force: true });
    mkdirSync(building, { recursive: true });
    try {
      await spec.build(building, dir);
      rmSync(dir, { recursive: true, force: true });
      renameSync(building, dir);
    } catch (err) {
      rmSync(building, { recursive: true, force: true });
      throw err;
    }
    const built = spec.load(dir);
    if (!built) throw new Error(`${spec.label}: built ${dir} but cannot load it back`);
    return built;
  });
}

/** Deletes `<variant>.building-<pid>` directories whose builder process is gone. */
function removeAbandonedBuilds(root: string, variant: string): void {
  for (const name of readdirSync(root)) {
    const m = /^(.*)\.building-(\d+)$/.exec(name);
    if (!m || m[1] !== variant) continue;
    let alive = true;
    try {
      process.kill(Number(m[2]), 0);
    } catch (err) {
      alive = (err as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive) rmSync(path.join(root, name), { recursive: true, force: true });
  }
}

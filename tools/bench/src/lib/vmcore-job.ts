import type { ChildJob, ChildSource } from '../dump-child.js';

/** The `vmcore` command line of a bench job (what a user types; `-q`: no progress bar). */
export function cliArgs(job: ChildJob): string[] {
  if (job.op === 'reassemble') return ['reassemble', job.input, job.out];
  const common = ['--format', job.format, '--workers', String(job.workers), '-q'];
  if (job.dumpLevel !== undefined) common.push('--dump-level', String(job.dumpLevel));
  const { source } = job;
  if (source.kind === 'dump') return ['convert', source.path, job.out, ...common];
  return ['dump', '--map', source.map, ...(source.notesFrom ? ['--notes-from', source.notesFrom] : []), ...common, job.out];
}

const sizes = new Map<string, number>();

/** Guest bytes of a job's source (the sum of its memory blocks), for MB/s; read once per source, outside any timing. */
export async function guestBytes(source: ChildSource): Promise<number> {
  const key = JSON.stringify(source);
  const known = sizes.get(key);
  if (known !== undefined) return known;
  const { openGuest, openRamDump } = await import('@vmcore/dump/node');
  const guest =
    source.kind === 'dump'
      ? await openGuest(source.path)
      : await openRamDump({ map: source.map, ...(source.notesFrom ? { notesFrom: source.notesFrom } : {}) });
  try {
    const total = guest.blocks.reduce((sum, block) => sum + block.size, 0);
    sizes.set(key, total);
    return total;
  } finally {
    await guest.close();
  }
}

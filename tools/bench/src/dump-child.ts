// One vmcore job per process, so `bench dumps` can read its peak RSS: `node dist/dump-child.js
// '<json job>'`. Prints `{ seconds, size, total }` (seconds: from opening the source to the
// committed output, without Node's start-up) as one JSON line.
import { stat } from 'node:fs/promises';
import type { GuestMemory } from '@vmcore/guest-mem';

/** Where the guest comes from: the RAM file + block map (CPU and guest notes borrowed from a dump), or a dump. */
export type ChildSource = { kind: 'ram'; map: string; notesFrom?: string } | { kind: 'dump'; path: string };

export type ChildJob =
  | { op: 'dump'; source: ChildSource; format: string; workers: number; out: string; dumpLevel?: number }
  | { op: 'reassemble'; input: string; out: string };

export interface ChildResult {
  seconds: number;
  /** Output bytes. */
  size: number;
  /** Guest bytes dumped (dump), input bytes (reassemble). */
  total: number;
}

async function openSource(source: ChildSource): Promise<GuestMemory> {
  const { openGuest, openRamDump } = await import('@vmcore/dump/node');
  if (source.kind === 'dump') return openGuest(source.path);
  return openRamDump({ map: source.map, ...(source.notesFrom ? { notesFrom: source.notesFrom } : {}) });
}

async function runChildJob(job: ChildJob): Promise<ChildResult> {
  const t0 = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - t0) / 1e9;
  // Each job loads what the CLI command would (vmcore reassemble: @vmcore/dump/reassemble only).
  if (job.op === 'reassemble') {
    const { reassembleFlattened } = await import('@vmcore/dump/reassemble');
    await reassembleFlattened(job.input, job.out);
    const seconds = elapsed();
    return { seconds, size: (await stat(job.out)).size, total: (await stat(job.input)).size };
  }
  const guest = await openSource(job.source);
  const { dumpGuest } = await import('@vmcore/dump/node');
  try {
    const result = await dumpGuest(guest, job.format, job.out, {
      workers: job.workers,
      ...(job.dumpLevel !== undefined ? { dumpLevel: job.dumpLevel } : {}),
    });
    return { seconds: elapsed(), size: result.size, total: result.total };
  } finally {
    await guest.close();
  }
}

// An entry point only: import its types, never the module (it runs the job given in argv).
const result = await runChildJob(JSON.parse(process.argv[2] ?? 'null') as ChildJob);
process.stdout.write(JSON.stringify(result) + '\n');

// One vmcore job per process, so the benches can read its peak RSS: `node dist/dump-child.js
// '<json job>'`. The job runs as the `vmcore` command runs it: the CLI's bundle (apps/cli/bundle,
// what bin/vmcore.js loads) given the job's command line. Prints `{ seconds, size }` (seconds:
// from loading the CLI to the committed output, without Node's start-up) as one JSON line.
import { stat } from 'node:fs/promises';
import { cliArgs } from './lib/vmcore-job.js';

/** Where the guest comes from: the RAM file + block map (CPU and guest notes borrowed from a dump), or a dump. */
export type ChildSource = { kind: 'ram'; map: string; notesFrom?: string } | { kind: 'dump'; path: string };

export type ChildJob =
  | { op: 'dump'; source: ChildSource; format: string; workers: number; out: string; dumpLevel?: number }
  | { op: 'reassemble'; input: string; out: string };

export interface ChildResult {
  seconds: number;
  /** Output bytes. */
  size: number;
}

const CLI = new URL('../../../apps/cli/bundle/cli.js', import.meta.url).href;

async function runChildJob(job: ChildJob): Promise<ChildResult> {
  const t0 = process.hrtime.bigint();
  const { run } = (await import(CLI)) as {
    run(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; signal?: AbortSignal }): Promise<number>;
  };
  const status = await run(cliArgs(job), { stdout: process.stdout, stderr: process.stderr });
  if (status !== 0) throw new Error(`vmcore ${cliArgs(job).join(' ')}: exit ${status}`);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { seconds, size: (await stat(job.out)).size };
}

// An entry point only: import its types, never the module (it runs the job given in argv).
const result = await runChildJob(JSON.parse(process.argv[2] ?? 'null') as ChildJob);
process.stdout.write(JSON.stringify(result) + '\n');

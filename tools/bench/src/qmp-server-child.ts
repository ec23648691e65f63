// `bench qmp-latency`'s server: vmcore-qmp's QmpServer and guestBackend over one guest source, in
// its own process (as vmcore-qmp runs), so the client's timing is not this process's event loop.
// `node dist/qmp-server-child.js '<json>'`; prints "ready" once listening.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { guestBackend, QmpServer } from '@vmcore/qmp';
import { preloadDumpBackends } from '@vmcore/dump';
import { openGuest, openRamDump } from '@vmcore/dump/node';
import type { ChildSource } from './dump-child.js';

export interface QmpServerJob {
  source: ChildSource;
  socket: string;
  workers: number;
}

const job = JSON.parse(process.argv[2] ?? 'null') as QmpServerJob;
const guest =
  job.source.kind === 'dump'
    ? await openGuest(job.source.path)
    : await openRamDump({ map: job.source.map, ...(job.source.notesFrom ? { notesFrom: job.source.notesFrom } : {}) });
// As vmcore-qmp's openGuestBackend: the format packages load before serving, not during a dump.
await preloadDumpBackends();
const server = await QmpServer.listen({ backend: guestBackend(guest, { workers: job.workers }), socket: job.socket });
process.on('SIGTERM', () => {
  void server.close().finally(() => process.exit(0));
});
// The main thread's own stalls, apart from the client's and the scheduler's share of a round trip:
// SIGUSR2 prints the event-loop delay since the last report (p99 and max, ms) as a JSON line.
const delay = monitorEventLoopDelay({ resolution: 2 });
delay.enable();
process.on('SIGUSR2', () => {
  process.stdout.write(JSON.stringify({ loopP99: delay.percentile(99) / 1e6, loopMax: delay.max / 1e6 }) + '\n');
  delay.reset();
});
process.stdout.write('ready\n');

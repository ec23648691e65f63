// `bench qmp-latency`'s server: vmcore-qmp's QmpServer and guestBackend over one guest source, in
// its own process (as vmcore-qmp runs), so the client's timing is not this process's event loop.
// `node dist/qmp-server-child.js '<json>'`; prints "ready" once listening.
import { guestBackend, QmpServer } from '@vmcore/qmp';
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
const server = await QmpServer.listen({ backend: guestBackend(guest, { workers: job.workers }), socket: job.socket });
process.on('SIGTERM', () => {
  void server.close().finally(() => process.exit(0));
});
process.stdout.write('ready\n');

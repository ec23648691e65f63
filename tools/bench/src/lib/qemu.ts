import { writeFileSync } from 'node:fs';
import { parseMtreeFlat, physMapFromMtree, type QmpClient, type RunningGuest } from '@vmcore/qemu-guest';

export interface QemuDump {
  /** From the dump-guest-memory command to QEMU's DUMP_COMPLETED timestamp. */
  seconds: number;
  /** Guest bytes QEMU dumped (DUMP_COMPLETED result.total). */
  total: number;
}

/** Wall-clock now in seconds, with sub-millisecond precision (comparable with QEMU's event timestamps). */
function nowSeconds(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}

/** QMP dump-guest-memory to a file, synchronous (QEMU 7.2's main loop is busy until it is done). */
export async function qemuDump(qmp: QmpClient, format: string, file: string): Promise<QemuDump> {
  const mark = qmp.eventMark();
  const t0 = nowSeconds();
  await qmp.execute('dump-guest-memory', { paging: false, format, protocol: `file:${file}` }, 900_000);
  const ev = await qmp.waitForEvent('DUMP_COMPLETED', { since: mark, timeoutMs: 900_000 });
  const t1 = nowSeconds();
  const result = (ev.data?.result ?? {}) as { status?: string; total?: number };
  if (result.status !== 'completed') throw new Error(`QEMU dump-guest-memory ${format}: ${JSON.stringify(ev.data)}`);
  // QEMU stamps the event with its own wall clock when the dump ends; the reply comes after it.
  const end = ev.timestamp ? ev.timestamp.seconds + ev.timestamp.microseconds / 1e6 : t1;
  return { seconds: Math.min(t1, Math.max(end, t0)) - t0, total: result.total ?? Number.NaN };
}

/** Formats `query-dump-guest-memory-capability` lists. */
export async function qemuDumpFormats(qmp: QmpClient): Promise<string[]> {
  const caps = (await qmp.execute('query-dump-guest-memory-capability')) as { formats?: string[] };
  return caps.formats ?? [];
}

/**
 * map.json for the stopped guest's RAM file, from `info mtree -f` the way QEMU builds its dump
 * blocks; only the blocks backed by the RAM file (QEMU's dumps also hold pc.bios and the like).
 */
export async function writeRamMap(guest: RunningGuest, qmp: QmpClient, mapFile: string): Promise<number> {
  const physMap = physMapFromMtree(parseMtreeFlat(await qmp.hmp('info mtree -f')));
  const blocks = physMap
    .filter((b) => b.inRamFile)
    .map((b) => ({ start: b.start, size: b.size, file: guest.ramFile, offset: b.offset ?? 0, name: b.name }));
  writeFileSync(mapFile, JSON.stringify({ blocks }, null, 2) + '\n');
  return blocks.reduce((sum, b) => sum + b.size, 0);
}

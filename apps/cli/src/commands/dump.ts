import type { DumpOptions } from '@vmcore/dump';
import { dumpGuest, openRamDump, ramDumpInputs } from '@vmcore/dump/node';
import { DUMP_OPTION_SPEC, dumpOptions, outputOf, requireFormat, str, type Io } from '../context.js';
import { UsageError, parse, parseNumber } from '../usage.js';

export async function dump(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse('dump', args, {
    ...DUMP_OPTION_SPEC,
    map: { type: 'string' },
    ram: { type: 'string', multiple: true },
    'notes-from': { type: 'string' },
    arch: { type: 'string' },
    'qemu-target': { type: 'string' },
    'vmcoreinfo-entry': { type: 'string' },
    'vmcoreinfo-paddr': { type: 'string' },
    'vmcoreinfo-size': { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError(`expected one OUT argument, got ${positionals.length}`, 'dump');
  const map = str(values, 'map');
  if (!map) throw new UsageError('--map is required', 'dump');
  const format = requireFormat(values, 'dump');
  const { options, progress } = dumpOptions(values, 'dump', io);

  const entryHex = str(values, 'vmcoreinfo-entry');
  const paddr = str(values, 'vmcoreinfo-paddr');
  const size = str(values, 'vmcoreinfo-size');
  let vmcoreinfo: DumpOptions['vmcoreinfo'];
  if (entryHex !== undefined) {
    if (paddr !== undefined || size !== undefined) {
      throw new UsageError('--vmcoreinfo-entry and --vmcoreinfo-paddr/--vmcoreinfo-size exclude each other', 'dump');
    }
    const clean = entryHex.replace(/^0x/i, '').replace(/[\s:]/g, '');
    if (!/^[0-9a-f]{32}$/i.test(clean)) throw new UsageError('--vmcoreinfo-entry must be 16 bytes as 32 hex digits', 'dump');
    vmcoreinfo = Uint8Array.from(clean.match(/../g)!.map((b) => parseInt(b, 16)));
  } else if (paddr !== undefined || size !== undefined) {
    if (paddr === undefined || size === undefined) throw new UsageError('--vmcoreinfo-paddr and --vmcoreinfo-size go together', 'dump');
    vmcoreinfo = { paddr: parseNumber(paddr, '--vmcoreinfo-paddr', 'dump'), size: parseNumber(size, '--vmcoreinfo-size', 'dump') };
  }

  const ram = (values['ram'] as string[] | undefined) ?? [];
  const notesFrom = str(values, 'notes-from');
  const arch = str(values, 'arch');
  if (arch !== undefined && notesFrom !== undefined)
    throw new UsageError('--arch and --notes-from exclude each other (the notes say the architecture)', 'dump');
  const qemuTarget = str(values, 'qemu-target');
  const source = { map, ram, ...(notesFrom ? { notesFrom } : {}), ...(arch ? { arch } : {}), ...(qemuTarget ? { qemuTarget } : {}) };
  const inputs = await ramDumpInputs(source);
  const guest = await openRamDump(source);
  try {
    await dumpGuest(guest, format, outputOf(positionals[0]!), { ...options, inputs, ...(vmcoreinfo ? { vmcoreinfo } : {}) });
  } finally {
    progress.done();
    await guest.close();
  }
}

import type { DumpDescription } from '@vmcore/dump/describe';
import { describeDump } from '@vmcore/dump/node';
import { describeDumpLevel } from '@vmcore/linux';
import type { Io } from '../context.js';
import { UsageError, parse } from '../usage.js';

const hex = (n: number | bigint) => `0x${n.toString(16)}`;
const mib = (n: number) => `${(n / (1 << 20)).toFixed(1)} MiB`;

/** 64-bit values as 0x-hex strings, so the JSON is exact and parseable everywhere. */
function toJson(description: DumpDescription): string {
  return JSON.stringify(
    description,
    (key, value: unknown) => (key === 'existingRuns' ? undefined : typeof value === 'bigint' ? hex(value) : value),
    2,
  );
}

function physBaseLine(d: DumpDescription): string {
  const parts: string[] = [];
  if (d.physBase) parts.push(`${hex(d.physBase.value)} = ${BigInt.asIntN(64, d.physBase.value)} (${d.physBase.source})`);
  if (d.kdump?.headerPhysBase !== undefined) parts.push(`kdump header: ${hex(d.kdump.headerPhysBase)}`);
  return parts.length ? parts.join(', ') : 'unknown';
}

export function renderText(d: DumpDescription): string {
  const lines: string[] = [];
  const row = (key: string, value: string) => lines.push(`${`${key}:`.padEnd(14)}${value}`);
  row('file', `${d.file} (${d.fileSize} bytes, ${mib(d.fileSize)})`);
  row('format', d.format);
  row('class', `ELF${d.elfClass}`);
  row('endianness', d.endian === 'le' ? 'little' : 'big');
  row('machine', `${d.arch} (e_machine ${d.machine})`);
  row(
    'page size',
    d.vmcoreinfo?.pageSize !== undefined && d.vmcoreinfo.pageSize !== d.pageSize
      ? `${d.pageSize} (the dump's; the kernel's PAGESIZE is ${d.vmcoreinfo.pageSize})`
      : String(d.pageSize),
  );
  row('memory', `${d.blocks.length} block(s), ${d.ramBytes} bytes (${mib(d.ramBytes)})`);
  for (const b of d.blocks)
    lines.push(
      `  ${hex(b.start).padStart(14)} - ${hex(b.start + b.size).padEnd(14)} ${mib(b.size).padStart(10)}${b.name ? `  ${b.name}` : ''}`,
    );
  row('CPUs', String(d.nrCpus));
  for (const c of d.cpus) {
    const parts = [`CPU ${c.cpu}${c.pid !== undefined ? ` (pid ${c.pid})` : ''}:`];
    if (c.pc !== undefined) parts.push(`pc ${hex(c.pc)}`);
    if (c.sp !== undefined) parts.push(`sp ${hex(c.sp)}`);
    if (c.pageTableBase) parts.push(`page tables ${hex(c.pageTableBase.value)} (${c.pageTableBase.register})`);
    parts.push(`[${c.notes.join(', ')}]`);
    lines.push(`  ${parts.join(' ')}`);
  }
  if (d.kernelPageTable) {
    const k = d.kernelPageTable;
    row(
      'page tables',
      `${k.symbol} ${hex(k.virt)}${k.phys !== undefined ? ` = physical ${hex(k.phys)}` : ''} (VMCOREINFO; the CPU notes hold no page-table base)`,
    );
  }
  row('notes', String(d.notes.length));
  for (const n of d.notes) lines.push(`  ${n.name.padEnd(12)} type ${String(n.type).padEnd(4)} ${n.size} bytes`);
  if (d.vmcoreinfo) {
    row(
      'VMCOREINFO',
      `${d.vmcoreinfo.entries} entries${d.vmcoreinfo.foundAt !== undefined ? `, not in the file: found in guest memory at ${hex(d.vmcoreinfo.foundAt)}` : ''}`,
    );
    row('  OSRELEASE', d.vmcoreinfo.osrelease ?? '(absent)');
  } else {
    row('VMCOREINFO', 'absent');
  }
  if (!d.winDmp) row('phys_base', physBaseLine(d));
  if (d.winDmp) {
    const w = d.winDmp;
    row(
      'win-dmp',
      `'${w.signature}${w.validDump}', ${w.x64 ? '64' : '32'}-bit header (${w.headerSize} bytes), version ${w.majorVersion}.${w.minorVersion}, machine ${hex(w.machineImageType)}`,
    );
    row('  CPUs', String(w.numberProcessors));
    row('  bugcheck', `${hex(w.bugcheckCode)} (${w.bugcheckParameters.map(hex).join(', ')})`);
    row('  KDBG', `KdDebuggerDataBlock ${hex(w.kdDebuggerDataBlock)}`);
    row('  DTB', `DirectoryTableBase ${hex(w.directoryTableBase)}`);
    row('  PFN db', `PfnDatabase ${hex(w.pfnDatabase)}`);
    row('  lists', `PsLoadedModuleList ${hex(w.psLoadedModuleList)}, PsActiveProcessHead ${hex(w.psActiveProcessHead)}`);
    row('  size', `RequiredDumpSpace ${hex(w.requiredDumpSpace)}${w.dumpType !== undefined ? `, DumpType ${w.dumpType}` : ''}`);
    row('  runs', `${w.runs.length} run(s), ${w.numberOfPages} page(s)`);
    for (const r of w.runs)
      lines.push(
        `  ${hex(r.basePage * 4096n).padStart(14)} - ${hex((r.basePage + r.pageCount) * 4096n).padEnd(14)} ${String(r.pageCount).padStart(10)} pages`,
      );
  }
  if (d.elf) {
    row(
      'ELF layout',
      `${d.elf.layout === 'standard' ? 'program headers after the ELF header' : 'program headers after the section headers (QEMU 7.2+)'}, e_phoff ${hex(d.elf.phoff)}, e_ehsize ${d.elf.ehsize}`,
    );
    row('phdrs', `${d.elf.programHeaders} (${d.elf.loadSegments} PT_LOAD, ${d.elf.noteSegments} PT_NOTE), ${d.elf.sections} section(s)`);
  }
  if (d.kdump) {
    const k = d.kdump;
    row(
      'kdump',
      `${k.flattened ? 'flattened' : 'raw'}, ${k.codec} (status ${hex(k.status)}${k.incomplete ? ', INCOMPLETE' : ''}), header version ${k.headerVersion}, dump level ${k.dumpLevel}`,
    );
    if (k.rawSize !== undefined) row('  raw size', `${k.rawSize} bytes (reassembled)`);
    row('  utsname', `machine ${k.utsMachine || '(empty)'}, release ${k.utsRelease || '(empty)'}`);
    row('  max_mapnr', `${k.maxMapnr} (${hex(k.maxMapnr)}), ${k.headerCpus} CPU(s) in header`);
    row('  pages', `${k.pages} present: ${k.zeroPages} zero, ${k.compressedPages} compressed, ${k.rawPages} raw`);
    row('  ratio', `${k.ratio.toFixed(2)}:1 (${k.storedBytes} bytes of page data for ${mib(k.pages * d.pageSize)})`);
    row('  dump level', describeDumpLevel(k.dumpLevel));
    if (k.excludedPages > 0) {
      row('  excluded', `${k.excludedPages} of ${k.existingPages} pages`);
      const e = d.excluded;
      if (e) {
        const classes: Array<[string, number]> = [
          ['cache', e.cache],
          ['cache with private data', e.cachePrivate],
          ['user data', e.user],
          ['free', e.free],
          ['hwpoison', e.hwpoison],
          ['offline', e.offline],
          ['beyond mem_map', e.outsideMemMap],
        ];
        for (const [what, n] of classes) lines.push(`    ${`${what}:`.padEnd(26)}${n}`);
      }
    }
  }
  if (d.kernel) {
    row('kernel log', `${d.kernel.logRecords} records (${d.kernel.logSource}); 'vmcore dmesg' prints them`);
    const p = d.kernel.panic;
    if (p) {
      row('panic', `at ${p.at.toFixed(6)} s after boot`);
      if (p.panic) lines.push(`  ${p.panic}`);
      if (p.bug) lines.push(`  ${p.bug}`);
      if (p.oops) lines.push(`  ${p.oops}`);
    } else {
      row('panic', 'none in the kernel log');
    }
  }
  if (d.vmcoreinfo) {
    row(
      'crash time',
      d.vmcoreinfo.crashtime !== undefined
        ? `${new Date(d.vmcoreinfo.crashtime * 1000).toISOString()} (VMCOREINFO CRASHTIME ${d.vmcoreinfo.crashtime})`
        : 'not recorded (no CRASHTIME in VMCOREINFO: the kernel did not go through kdump)',
    );
  }
  for (const w of d.warnings) lines.push(`note: ${w}`);
  return `${lines.join('\n')}\n`;
}

export async function info(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse('info', args, { json: { type: 'boolean' } });
  if (positionals.length !== 1) throw new UsageError(`expected one FILE, got ${positionals.length}`, 'info');
  const description = await describeDump(positionals[0]!, { signal: io.signal });
  io.stdout.write(values['json'] === true ? `${toJson(description)}\n` : renderText(description));
}

import type { DumpDescription } from '@vmcore/dump/describe';
import { describeDump } from '@vmcore/dump/node';
import type { Io } from '../context.js';
import { UsageError, parse } from '../usage.js';

const hex = (n: number | bigint) => `0x${n.toString(16)}`;
const mib = (n: number) => `${(n / (1 << 20)).toFixed(1)} MiB`;

/** 64-bit values as 0x-hex strings, so the JSON is exact and parseable everywhere. */
function toJson(description: DumpDescription): string {
  return JSON.stringify(description, (_key, value: unknown) => (typeof value === 'bigint' ? hex(value) : value), 2);
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
  row('page size', String(d.pageSize));
  row('memory', `${d.blocks.length} block(s), ${d.ramBytes} bytes (${mib(d.ramBytes)})`);
  for (const b of d.blocks) lines.push(`  ${hex(b.start).padStart(14)} - ${hex(b.start + b.size).padEnd(14)} ${mib(b.size).padStart(10)}${b.name ? `  ${b.name}` : ''}`);
  row('CPUs', String(d.nrCpus));
  row('notes', String(d.notes.length));
  for (const n of d.notes) lines.push(`  ${n.name.padEnd(12)} type ${String(n.type).padEnd(4)} ${n.size} bytes`);
  if (d.vmcoreinfo) {
    row('VMCOREINFO', `${d.vmcoreinfo.entries} entries`);
    row('  OSRELEASE', d.vmcoreinfo.osrelease ?? '(absent)');
  } else {
    row('VMCOREINFO', 'absent');
  }
  row('phys_base', physBaseLine(d));
  if (d.elf) {
    row('ELF layout', `${d.elf.layout === 'standard' ? 'program headers after the ELF header' : 'program headers after the section headers (QEMU 7.2+)'}, e_phoff ${hex(d.elf.phoff)}, e_ehsize ${d.elf.ehsize}`);
    row('phdrs', `${d.elf.programHeaders} (${d.elf.loadSegments} PT_LOAD, ${d.elf.noteSegments} PT_NOTE), ${d.elf.sections} section(s)`);
  }
  if (d.kdump) {
    const k = d.kdump;
    row('kdump', `${k.flattened ? 'flattened' : 'raw'}, ${k.codec} (status ${hex(k.status)}), header version ${k.headerVersion}, dump level ${k.dumpLevel}`);
    if (k.rawSize !== undefined) row('  raw size', `${k.rawSize} bytes (reassembled)`);
    row('  utsname', `machine ${k.utsMachine || '(empty)'}, release ${k.utsRelease || '(empty)'}`);
    row('  max_mapnr', `${k.maxMapnr} (${hex(k.maxMapnr)}), ${k.headerCpus} CPU(s) in header`);
    row('  pages', `${k.pages} present: ${k.zeroPages} zero, ${k.compressedPages} compressed, ${k.rawPages} raw`);
    row('  ratio', `${k.ratio.toFixed(2)}:1 (${k.storedBytes} bytes of page data for ${mib(k.pages * d.pageSize)})`);
  }
  for (const w of d.warnings) lines.push(`note: ${w}`);
  return `${lines.join('\n')}\n`;
}

export async function info(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse('info', args, { json: { type: 'boolean' } });
  if (positionals.length !== 1) throw new UsageError(`expected one FILE, got ${positionals.length}`, 'info');
  const description = await describeDump(positionals[0]!);
  io.stdout.write(values['json'] === true ? `${toJson(description)}\n` : renderText(description));
}

import { kernelLogOf } from '@vmcore/dump';
import { dmesgJsonRecord, formatDmesgRecord } from '@vmcore/linux';
import type { Io } from '../context.js';
import { UsageError, parse } from '../usage.js';

/** Writes in pieces of about 1 MiB so a long log neither builds one huge string nor makes a write per record. */
async function writeAll(io: Io, lines: Iterable<string>): Promise<void> {
  let buffer: string[] = [];
  let size = 0;
  const flush = async () => {
    if (buffer.length === 0) return;
    const text = buffer.join('');
    buffer = [];
    size = 0;
    if (!io.stdout.write(text, 'latin1')) await new Promise<void>((resolve) => io.stdout.once('drain', () => resolve()));
  };
  for (const line of lines) {
    buffer.push(line);
    size += line.length;
    if (size >= 1 << 20) await flush();
  }
  await flush();
}

export async function dmesg(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse('dmesg', args, { json: { type: 'boolean' } });
  if (positionals.length !== 1) throw new UsageError(`expected one FILE, got ${positionals.length}`, 'dmesg');
  const log = await kernelLogOf(positionals[0]!);
  if (values['json'] === true) {
    // JSON text is UTF-8; the record text was decoded from the kernel's bytes as UTF-8.
    const lines = log.records.map((r) => `${JSON.stringify(dmesgJsonRecord(r))}\n`);
    let at = 0;
    while (at < lines.length) {
      const text = lines.slice(at, at + 4096).join('');
      at += 4096;
      if (!io.stdout.write(text, 'utf8')) await new Promise<void>((resolve) => io.stdout.once('drain', () => resolve()));
    }
    return;
  }
  await writeAll(io, log.records.map(formatDmesgRecord));
}

import { reassembleFlattened } from '@vmcore/dump/reassemble';
import type { Io } from '../context.js';
import { UsageError, parse } from '../usage.js';

export async function reassemble(args: string[], io: Io): Promise<void> {
  const { positionals } = parse('reassemble', args, {});
  if (positionals.length !== 2) throw new UsageError(`expected IN (or -) and OUT, got ${positionals.length} argument(s)`, 'reassemble');
  const [input, output] = positionals as [string, string];
  if (output === '-') throw new UsageError('OUT must be a file: a raw kdump file needs positioned writes', 'reassemble');
  await reassembleFlattened(input === '-' ? process.stdin : input, output, { signal: io.signal });
}

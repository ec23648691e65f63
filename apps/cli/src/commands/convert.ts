import { dumpGuest, openGuest } from '@vmcore/dump/node';
import { DUMP_OPTION_SPEC, dumpOptions, outputOf, requireFormat, type Io } from '../context.js';
import { UsageError, parse } from '../usage.js';

export async function convert(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse('convert', args, { ...DUMP_OPTION_SPEC, 'allow-sparse': { type: 'boolean' } });
  if (positionals.length !== 2) throw new UsageError(`expected IN and OUT, got ${positionals.length} argument(s)`, 'convert');
  const [input, output] = positionals as [string, string];
  const format = requireFormat(values, 'convert');
  const { options, progress } = dumpOptions(values, 'convert', io);
  const guest = await openGuest(input, { allowSparse: values['allow-sparse'] === true, signal: io.signal });
  try {
    await dumpGuest(guest, format, outputOf(output), { ...options, inputs: [input], allowSparse: values['allow-sparse'] === true });
  } finally {
    progress.done();
    await guest.close();
  }
}

import type { DumpFileOptions as DumpOptions } from '@vmcore/dump/node';
import { ProgressBar } from './progress.js';
import { UsageError, parseBigInt, parseNumber, parseSigned } from './usage.js';

/** What a command needs from the process; tests and main() both build one. */
export interface Io {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WriteStream;
  readonly signal: AbortSignal;
}

export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function requireFormat(values: Values, command: string): string {
  const format = str(values, 'format');
  if (!format) throw new UsageError('--format is required', command);
  return format;
}

/** The options convert and dump share: filter, phys_base, workers, mode, progress, warnings. */
export function dumpOptions(values: Values, command: string, io: Io): { options: DumpOptions; progress: ProgressBar } {
  const quiet = values['quiet'] === true;
  const progress = new ProgressBar(command, io.stderr, !quiet && Boolean(io.stderr.isTTY));
  const begin = str(values, 'begin');
  const length = str(values, 'length');
  const physBase = str(values, 'phys-base');
  const workers = str(values, 'workers');
  const zlibLevel = str(values, 'zlib-level');
  const mode = str(values, 'mode');
  const dumpLevel = str(values, 'dump-level');
  if (dumpLevel !== undefined && !/^(\d|[12]\d|3[01])$/.test(dumpLevel))
    throw new UsageError(`--dump-level '${dumpLevel}' is not a number from 0 to 31`, command);
  if (mode !== undefined && !/^[0-7]{3,4}$/.test(mode)) throw new UsageError(`--mode '${mode}' is not an octal file mode`, command);
  const options: DumpOptions = {
    ...(begin !== undefined ? { begin: parseSigned(begin, '--begin', command) } : {}),
    ...(length !== undefined ? { length: parseSigned(length, '--length', command) } : {}),
    ...(physBase !== undefined ? { physBase: parseBigInt(physBase, '--phys-base', command) } : {}),
    ...(workers !== undefined ? { workers: parseNumber(workers, '--workers', command) } : {}),
    ...(zlibLevel !== undefined ? { zlibLevel: parseNumber(zlibLevel, '--zlib-level', command) } : {}),
    ...(mode !== undefined ? { mode: parseInt(mode, 8) } : {}),
    ...(dumpLevel !== undefined ? { dumpLevel: Number(dumpLevel) } : {}),
    ...(values['paging'] === true ? { paging: true } : {}),
    onProgress: progress.update,
    onWarning: (message: string) => {
      if (!quiet) {
        progress.done();
        io.stderr.write(`vmcore: warning: ${message}\n`);
      }
    },
    signal: io.signal,
  };
  return { options, progress };
}

/** OUT '-' is stdout's descriptor: seekable when redirected to a file, a stream when a pipe. */
export function outputOf(path: string): string | { fd: number } {
  return path === '-' ? { fd: 1 } : path;
}

export const DUMP_OPTION_SPEC = {
  format: { type: 'string', short: 'f' },
  begin: { type: 'string' },
  length: { type: 'string' },
  'phys-base': { type: 'string' },
  workers: { type: 'string' },
  'zlib-level': { type: 'string' },
  mode: { type: 'string' },
  'dump-level': { type: 'string', short: 'd' },
  paging: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A command-line mistake: printed as `vmcore: <message>` with a hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

export type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with strict checking whose errors become UsageErrors naming the command. */
export interface Parsed {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

export function parse(command: string, args: string[], options: Options): Parsed {
  try {
    return parseArgs({ args, options: { help: { type: 'boolean', short: 'h' }, ...options }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''), command);
  }
}

const SIZE_SUFFIX: Record<string, number> = {
  '': 1,
  k: 1 << 10,
  kib: 1 << 10,
  m: 1 << 20,
  mib: 1 << 20,
  g: 1 << 30,
  gib: 1 << 30,
  t: 2 ** 40,
  tib: 2 ** 40,
};

/** An address or size: decimal, 0x-hex, or with a K/M/G/T (binary) suffix. */
export function parseNumber(text: string, what: string, command: string): number {
  const match = /^(0x[0-9a-f]+|\d+)\s*([kmgt](?:ib)?)?$/i.exec(text.trim());
  const base = match ? Number(BigInt(match[1]!)) : NaN;
  const scale = SIZE_SUFFIX[(match?.[2] ?? '').toLowerCase()];
  const value = base * (scale ?? NaN);
  if (!Number.isSafeInteger(value)) {
    throw new UsageError(`${what} '${text}' is not a number (use decimal, 0x-hex, or a K/M/G suffix)`, command);
  }
  return value;
}

/** A signed address or size (QEMU's int64 begin/length): parseNumber's forms with an optional '-'. */
export function parseSigned(text: string, what: string, command: string): number {
  const trimmed = text.trim();
  const negative = trimmed.startsWith('-');
  const value = parseNumber(negative ? trimmed.slice(1) : trimmed, what, command);
  return negative ? -value : value;
}

export function parseBigInt(text: string, what: string, command: string): bigint {
  try {
    if (/^-?(0x[0-9a-f]+|\d+)$/i.test(text.trim())) {
      const negative = text.trim().startsWith('-');
      const magnitude = BigInt(text.trim().replace(/^-/, ''));
      return BigInt.asUintN(64, negative ? -magnitude : magnitude);
    }
  } catch {
    // fall through to the usage error
  }
  throw new UsageError(`${what} '${text}' is not a number (use decimal or 0x-hex)`, command);
}

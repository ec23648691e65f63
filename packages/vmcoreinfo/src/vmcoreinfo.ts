import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';

/**
 * The VMCOREINFO text, read the way the kernel writes each key (kernel/vmcore_info.c and
 * arch_crash_save_vmcoreinfo()): SYMBOL() and KERNELOFFSET in hex without 0x (%lx);
 * OFFSET/SIZE/LENGTH unsigned decimal (%lu); PAGESIZE decimal (%ld); CRASHTIME decimal (%lld);
 * NUMBER() signed decimal (%ld) except the ones an arch prints itself as 0x-hex
 * (arm64 NUMBER(PHYS_OFFSET)=0x%llx, NUMBER(VMALLOC_START)=0x%lx).
 */
export interface Vmcoreinfo {
  readonly osrelease: string | undefined;
  readonly buildId: string | undefined;
  readonly pageSize: number | undefined;
  /** KERNELOFFSET (kaslr_offset()), absent on arches that do not write it. */
  readonly kernelOffset: bigint | undefined;
  readonly crashtime: number | undefined;
  /** NUMBER(x): decimal values as the signed long the kernel printed, 0x values as unsigned. */
  readonly numbers: ReadonlyMap<string, bigint>;
  /** SYMBOL(x): virtual addresses. */
  readonly symbols: ReadonlyMap<string, bigint>;
  /** OFFSET(struct.field). */
  readonly offsets: ReadonlyMap<string, number>;
  /** SIZE(x). */
  readonly sizes: ReadonlyMap<string, number>;
  /** LENGTH(x). */
  readonly lengths: ReadonlyMap<string, number>;
  /** CONFIG_X=y, keyed by X. */
  readonly configs: ReadonlyMap<string, string>;
  /** Every KEY=VALUE line in order, known or not, values as written. */
  readonly entries: readonly VmcoreinfoEntry[];
}

export interface VmcoreinfoEntry {
  readonly key: string;
  readonly value: string;
}

const latin1 = new TextDecoder('latin1');
const U64_LIMIT = 1n << 64n;
const I64_MIN = -(1n << 63n);

function corrupt(line: number, key: string, value: string, expected: string): VmcoreError {
  return new VmcoreError(VmcoreErrorCode.Corrupt, `VMCOREINFO line ${line}: ${key}=${JSON.stringify(value)} is not ${expected}`);
}

function parseHex(value: string, line: number, key: string): bigint {
  if (!/^(0[xX])?[0-9a-fA-F]{1,16}$/.test(value)) throw corrupt(line, key, value, 'a hexadecimal u64');
  return BigInt(value.startsWith('0x') || value.startsWith('0X') ? value : `0x${value}`);
}

function parseUnsignedDecimal(value: string, line: number, key: string): number {
  if (!/^[0-9]{1,16}$/.test(value)) throw corrupt(line, key, value, 'an unsigned decimal number');
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw corrupt(line, key, value, 'a safe integer');
  return n;
}

/** NUMBER(): "%ld" (signed decimal) or an arch's own "0x%lx". */
function parseNumber(value: string, line: number, key: string): bigint {
  if (/^0[xX][0-9a-fA-F]{1,16}$/.test(value)) return BigInt(value);
  if (/^-?[0-9]{1,20}$/.test(value)) {
    const n = BigInt(value);
    if (n >= I64_MIN && n < U64_LIMIT) return n;
  }
  throw corrupt(line, key, value, 'a decimal long or a 0x-prefixed hexadecimal number');
}

const BRACKETED = /^(NUMBER|SYMBOL|OFFSET|SIZE|LENGTH)\((.+)\)$/;

/** Parses VMCOREINFO text (the note descriptor). Keys seen twice keep their first value, as makedumpfile and QEMU do. */
export function parseVmcoreinfo(text: string): Vmcoreinfo {
  let osrelease: string | undefined;
  let buildId: string | undefined;
  let pageSize: number | undefined;
  let kernelOffset: bigint | undefined;
  let crashtime: number | undefined;
  const numbers = new Map<string, bigint>();
  const symbols = new Map<string, bigint>();
  const offsets = new Map<string, number>();
  const sizes = new Map<string, number>();
  const lengths = new Map<string, number>();
  const configs = new Map<string, string>();
  const entries: VmcoreinfoEntry[] = [];

  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index]!;
    if (raw === '') continue;
    const lineNo = index + 1;
    const eq = raw.indexOf('=');
    if (eq <= 0) {
      throw new VmcoreError(VmcoreErrorCode.Corrupt, `VMCOREINFO line ${lineNo}: ${JSON.stringify(raw)} is not KEY=VALUE`);
    }
    const key = raw.slice(0, eq);
    const value = raw.slice(eq + 1);
    entries.push({ key, value });

    const bracketed = BRACKETED.exec(key);
    if (bracketed) {
      const [, kind, name] = bracketed as unknown as [string, string, string];
      switch (kind) {
        case 'NUMBER':
          if (!numbers.has(name)) numbers.set(name, parseNumber(value, lineNo, key));
          break;
        case 'SYMBOL':
          if (!symbols.has(name)) symbols.set(name, parseHex(value, lineNo, key));
          break;
        case 'OFFSET':
          if (!offsets.has(name)) offsets.set(name, parseUnsignedDecimal(value, lineNo, key));
          break;
        case 'SIZE':
          if (!sizes.has(name)) sizes.set(name, parseUnsignedDecimal(value, lineNo, key));
          break;
        case 'LENGTH':
          if (!lengths.has(name)) lengths.set(name, parseUnsignedDecimal(value, lineNo, key));
          break;
      }
      continue;
    }
    if (key.startsWith('CONFIG_')) {
      const name = key.slice('CONFIG_'.length);
      if (!configs.has(name)) configs.set(name, value);
      continue;
    }
    switch (key) {
      case 'OSRELEASE':
        osrelease ??= value;
        break;
      case 'BUILD-ID':
        buildId ??= value;
        break;
      case 'PAGESIZE':
        pageSize ??= parseUnsignedDecimal(value, lineNo, key);
        break;
      case 'KERNELOFFSET':
        kernelOffset ??= parseHex(value, lineNo, key);
        break;
      case 'CRASHTIME':
        crashtime ??= parseUnsignedDecimal(value, lineNo, key);
        break;
    }
  }
  return { osrelease, buildId, pageSize, kernelOffset, crashtime, numbers, symbols, offsets, sizes, lengths, configs, entries };
}

/**
 * The descriptor of a VMCOREINFO note as text. The kernel writes printable ASCII lines; trailing
 * NUL padding is dropped, but a NUL with text after it, or any other control or non-ASCII byte,
 * is rejected (tools would silently read only part of it).
 */
export function vmcoreinfoText(desc: Uint8Array): string {
  let end = desc.length;
  while (end > 0 && desc[end - 1] === 0) end--;
  for (let i = 0; i < end; i++) {
    const b = desc[i]!;
    if (b === 0) {
      throw new VmcoreError(VmcoreErrorCode.Corrupt, `VMCOREINFO descriptor: NUL byte at offset ${i} with more text after it`);
    }
    if ((b < 0x20 && b !== 0x0a && b !== 0x09) || b > 0x7e) {
      throw new VmcoreError(
        VmcoreErrorCode.Corrupt,
        `VMCOREINFO descriptor: byte 0x${b.toString(16).padStart(2, '0')} at offset ${i} is not text`,
      );
    }
  }
  return latin1.decode(desc.subarray(0, end));
}

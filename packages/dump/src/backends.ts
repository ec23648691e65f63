/**
 * The one place @vmcore/dump touches the format packages. Each entry is looked up by its
 * docs/DESIGN.md name, so a package that has not landed yet gives a clear VMCORE_UNSUPPORTED
 * error instead of a build break.
 */
import { VmcoreError, VmcoreErrorCode, type PositionedSink, type RandomAccessSource, type SequentialSink } from '@vmcore/bytes';
import * as elfPkg from '@vmcore/elf';
import { FlattenedIndex, FlattenedSink, isFlattened, reassemble as flatReassemble } from '@vmcore/flat';
import * as guestMemPkg from '@vmcore/guest-mem';
import * as kdumpPkg from '@vmcore/kdump';
import * as vmcoreinfoPkg from '@vmcore/vmcoreinfo';
import type { Filter, GuestMemory } from '@vmcore/guest-mem';

type AnyFn = (...args: never[]) => unknown;

function need<T extends AnyFn>(pkg: object, pkgName: string, name: string): T {
  const value = (pkg as Record<string, unknown>)[name];
  if (typeof value !== 'function') {
    throw new VmcoreError(VmcoreErrorCode.Unsupported, `${pkgName} does not provide ${name} yet`);
  }
  return value as T;
}

export function has(pkg: 'elf' | 'kdump' | 'flat' | 'vmcoreinfo' | 'guest-mem', name: string): boolean {
  const table = { elf: elfPkg, kdump: kdumpPkg, flat: { FlattenedIndex, FlattenedSink, isFlattened, reassemble: flatReassemble }, vmcoreinfo: vmcoreinfoPkg, 'guest-mem': guestMemPkg };
  return typeof (table[pkg] as Record<string, unknown>)[name] === 'function';
}

export interface WriterProgress {
  onProgress?: (done: number, total: number) => void;
}

// ---- @vmcore/elf
export async function writeElfCore(guest: GuestMemory, sink: SequentialSink, options: { filter?: Filter } & WriterProgress): Promise<void> {
  const fn = need<(g: GuestMemory, s: SequentialSink, o: object) => unknown>(elfPkg, '@vmcore/elf', 'writeElfCore');
  await fn(guest, sink, options);
}

export async function openElfGuest(source: RandomAccessSource): Promise<GuestMemory> {
  const fn = need<(s: RandomAccessSource) => GuestMemory | Promise<GuestMemory>>(elfPkg, '@vmcore/elf', 'openElfGuest');
  return await fn(source);
}

export async function readElfCore(source: RandomAccessSource): Promise<unknown> {
  return await need<(s: RandomAccessSource) => unknown>(elfPkg, '@vmcore/elf', 'readElfCore')(source);
}

// ---- @vmcore/kdump
export interface KdumpWriteOptions extends WriterProgress {
  codec: 'zlib' | 'lzo' | 'snappy';
  physBase?: bigint;
  utsname?: unknown;
  workers?: number;
}

export async function writeKdump(guest: GuestMemory, sink: PositionedSink, options: KdumpWriteOptions): Promise<number | undefined> {
  const fn = need<(g: GuestMemory, s: PositionedSink, o: object) => unknown>(kdumpPkg, '@vmcore/kdump', 'writeKdump');
  const size = await fn(guest, sink, options);
  return typeof size === 'number' ? size : undefined;
}

export async function openKdumpGuest(source: RandomAccessSource): Promise<GuestMemory> {
  const fn = need<(s: RandomAccessSource) => GuestMemory | Promise<GuestMemory>>(kdumpPkg, '@vmcore/kdump', 'openKdumpGuest');
  return await fn(source);
}

export async function readKdump(source: RandomAccessSource): Promise<unknown> {
  return await need<(s: RandomAccessSource) => unknown>(kdumpPkg, '@vmcore/kdump', 'readKdump')(source);
}

// ---- @vmcore/flat (landed: typed imports)
export interface FlattenedWriter extends PositionedSink {
  finish(): Promise<void>;
}

export function createFlattenedSink(out: SequentialSink): FlattenedWriter {
  return new FlattenedSink(out);
}

export async function flattenedView(source: RandomAccessSource): Promise<RandomAccessSource> {
  return FlattenedIndex.build(source);
}

export async function reassemble(input: AsyncIterable<Uint8Array>, out: PositionedSink, name?: string): Promise<void> {
  await flatReassemble(input, out, name ? { name } : {});
}

export { isFlattened };

// ---- @vmcore/vmcoreinfo
export async function resolvePhysBase(guest: GuestMemory): Promise<unknown> {
  return await need<(g: GuestMemory) => unknown>(vmcoreinfoPkg, '@vmcore/vmcoreinfo', 'resolvePhysBase')(guest);
}

export function parseVmcoreinfo(text: string): unknown {
  return need<(t: string) => unknown>(vmcoreinfoPkg, '@vmcore/vmcoreinfo', 'parseVmcoreinfo')(text);
}

export function decodeFwCfgVmcoreinfo(bytes: Uint8Array): unknown {
  return need<(b: Uint8Array) => unknown>(vmcoreinfoPkg, '@vmcore/vmcoreinfo', 'decodeFwCfgVmcoreinfo')(bytes);
}

// ---- @vmcore/guest-mem
export async function openRamGuest(options: object): Promise<GuestMemory> {
  const fn = need<(o: object) => GuestMemory | Promise<GuestMemory>>(guestMemPkg, '@vmcore/guest-mem', 'openRamGuest');
  return await fn(options);
}

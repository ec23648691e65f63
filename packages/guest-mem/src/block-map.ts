import { z } from 'zod';
import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';

/** A number, or a "0x…" string for readability of large addresses. */
const address = z.union([
  z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  z
    .string()
    .regex(/^(0x[0-9a-fA-F]+|[0-9]+)$/, 'expected a decimal or 0x-prefixed hex number')
    .transform((text) => Number(text))
    .refine((n) => Number.isSafeInteger(n), 'must be below 2^53'),
]);

export const BlockMapEntrySchema = z
  .object({
    start: address,
    size: address.refine((n) => n > 0, 'size must be positive'),
    file: z.string().min(1),
    offset: address,
    name: z.string().optional(),
  })
  .strict();

export const ExplicitBlockMapSchema = z
  .object({
    /** The guest architecture (x86_64, i386, aarch64, s390x, ppc64), for RAM without CPU notes. */
    arch: z.string().min(1).optional(),
    /**
     * The QEMU binary serving the guest (qemu-system-<target>): it decides win-dmp (x86_64 builds
     * only). Default: the architecture's usual one (qemu-system-x86_64 for i386 guests too).
     */
    qemuTarget: z.enum(['x86_64', 'i386', 'aarch64', 'arm', 'ppc64', 's390x', 'riscv64', 'loongarch64']).optional(),
    blocks: z
      .array(BlockMapEntrySchema)
      .min(1)
      .max(1 << 20),
  })
  .strict();

export const MachineBlockMapSchema = z
  .object({
    machine: z.enum(['pc', 'q35']),
    ramSize: address.refine((n) => n > 0, 'ramSize must be positive'),
    file: z.string().min(1),
  })
  .strict();

/** `{ blocks: [...] }` or the `{ machine, ramSize, file }` shorthand. */
export const BlockMapSchema = z.union([ExplicitBlockMapSchema, MachineBlockMapSchema]);

export type BlockMapEntry = z.output<typeof BlockMapEntrySchema>;
export type BlockMap = z.input<typeof BlockMapSchema>;

const FOUR_GIB = 0x1_0000_0000;
const VGA_HOLE_START = 0xa0000;
const VGA_HOLE_END = 0xc0000;

/** Validates a parsed JSON value as a block map; throws VmcoreError naming the bad field. */
export function parseBlockMap(value: unknown, what = 'block map'): z.output<typeof BlockMapSchema> {
  const result = BlockMapSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.length ? issue.path.map(String).join('.') : '(root)';
    throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `${what}: ${path}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

/**
 * RAM below 4 GiB as pc_piix.c / pc_q35.c split it (max-ram-below-4g not set): pc keeps
 * 0xe0000000 below 4G, or 0xc0000000 once RAM reaches 0xe0000000 (gigabyte_align);
 * q35 keeps 0xb0000000, or 0x80000000 once RAM reaches 0xb0000000.
 */
export function belowFourGiB(machine: 'pc' | 'q35', ramSize: number): number {
  const lowmem = machine === 'pc' ? (ramSize >= 0xe0000000 ? 0xc0000000 : 0xe0000000) : ramSize >= 0xb0000000 ? 0x80000000 : 0xb0000000;
  return Math.min(ramSize, lowmem);
}

/**
 * The RAM-file blocks of a map. The shorthand gives QEMU's flat view of the RAM backend:
 * [0, 0xa0000) and [0xc0000, below) at the same file offsets (the legacy VGA window
 * 0xa0000-0xc0000 is not RAM), then [4 GiB, 4 GiB + rest) at file offset `below`.
 */
export function expandBlockMap(value: unknown): BlockMapEntry[] {
  const map = parseBlockMap(value);
  if ('blocks' in map) return map.blocks.map((b) => ({ ...b }));
  const { machine, ramSize, file } = map;
  const below = belowFourGiB(machine, ramSize);
  const name = 'pc.ram';
  const out: BlockMapEntry[] = [{ start: 0, size: Math.min(below, VGA_HOLE_START), file, offset: 0, name }];
  if (below > VGA_HOLE_END) out.push({ start: VGA_HOLE_END, size: below - VGA_HOLE_END, file, offset: VGA_HOLE_END, name });
  if (ramSize > below) out.push({ start: FOUR_GIB, size: ramSize - below, file, offset: below, name });
  return out;
}

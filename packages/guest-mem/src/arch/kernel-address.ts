import type { Vmcoreinfo } from '@vmcore/vmcoreinfo';

/** i386 and 32-bit arm PAGE_OFFSET with the default 3G/1G split (Debian's kernels). */
export const PAGE_OFFSET_3G = 0xc000_0000n;

/** virt − base for addresses at or above base (a kernel's single linear rule), else undefined. */
export function linearAbove(base: bigint): (virt: bigint) => bigint | undefined {
  return (virt) => (virt >= base ? virt - base : undefined);
}

/** virt − NUMBER(key) (as u64) for addresses at or above it; undefined when the VMCOREINFO lacks the key. */
export function belowNumber(key: string): (virt: bigint, physBase: bigint, info?: Vmcoreinfo) => bigint | undefined {
  return (virt, _physBase, info) => {
    const offset = info?.numbers.get(key);
    return offset === undefined ? undefined : linearAbove(BigInt.asUintN(64, offset))(virt);
  };
}

/** Whether the VMCOREINFO has any of these NUMBER()/SYMBOL()/CONFIG keys or plain entries. */
export function hasVmcoreinfoKey(
  info: Vmcoreinfo,
  keys: { numbers?: readonly string[]; symbols?: readonly string[]; configs?: readonly string[]; entries?: readonly string[] },
): boolean {
  return (
    (keys.numbers ?? []).some((k) => info.numbers.has(k)) ||
    (keys.symbols ?? []).some((k) => info.symbols.has(k)) ||
    (keys.configs ?? []).some((k) => info.configs.has(k)) ||
    (keys.entries ?? []).some((k) => info.entries.some((e) => e.key === k))
  );
}

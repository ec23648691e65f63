import { DUMP_FORMATS, type DumpRefusal } from '@vmcore/dump';

const hex = (value: bigint) => (value < 0n ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`);

/**
 * The one table from @vmcore/dump's refusal reasons to the CLI's messages: QEMU's text where
 * users know it, otherwise words that name the CLI's options.
 */
export function cliRefusalMessage(refusal: DumpRefusal): string {
  const detail = refusal.detail;
  switch (detail.reason) {
    case 'unknown-format':
      return `unknown dump format '${detail.format}' (expected one of: ${DUMP_FORMATS.join(', ')})`;
    case 'not-an-integer':
      return `--${detail.parameter} '${detail.value}' is not a 64-bit integer`;
    case 'filter-not-supported':
      return "kdump-compressed format doesn't support paging or filter";
    case 'missing-length':
      return '--begin needs --length';
    case 'missing-begin':
      return '--length needs --begin';
    case 'format-unavailable':
      return `${detail.format} is not available in this build`;
    case 'win-dmp-arch':
      // QEMU writes win-dmp only where it was built for x86_64 (an i386 guest under qemu-system-i386 has none)
      return `win-dmp needs an x86 guest of qemu-system-x86_64, this one is ${detail.arch}${detail.qemuTarget ? ` under qemu-system-${detail.qemuTarget}` : ''}`;
    case 'not-seekable':
      return 'kdump-raw formats require a seekable file';
    case 'length-zero':
      return '--length 0 selects nothing: give a non-zero size';
    case 'no-memory':
      return `--begin ${hex(detail.begin)} --length ${hex(detail.length)} selects no guest memory`;
    case 'begin-outside':
      return `--begin ${hex(detail.begin)}: QEMU reads a negative begin as an address past all guest memory`;
    case 'win-dmp-header':
      return `win-dmp needs a Windows guest's dump header in the guest note (${detail.message})`;
  }
}

import { describe, expect, it } from 'vitest';
import { kernelPageSize, parseVmcoreinfo } from '@vmcore/vmcoreinfo';
import { archFromVmcoreinfo, kernelImageVirtToPhys, kernelLinearVirtToPhys } from '../src/index.js';

// Lines as the kernels of the reference guests write them (Debian 6.1, QEMU 7.2 TCG guests).
const AARCH64 = parseVmcoreinfo(
  [
    'OSRELEASE=6.1.0-57-arm64',
    'PAGESIZE=4096',
    'SYMBOL(init_uts_ns)=ffffbc7073f1c030',
    'NUMBER(VA_BITS)=48',
    'NUMBER(kimage_voffset)=0xffffbc7031e00000',
    'NUMBER(PHYS_OFFSET)=0x40000000',
    'KERNELOFFSET=3c706a000000',
    '',
  ].join('\n'),
);
const S390X = parseVmcoreinfo(
  ['OSRELEASE=6.1.0-50-s390x', 'PAGESIZE=4096', 'SYMBOL(init_uts_ns)=ef4898', 'SYMBOL(lowcore_ptr)=1a8c9e0', 'SAMODE31=0', ''].join('\n'),
);
const I386 = parseVmcoreinfo(['OSRELEASE=6.1.0-57-686', 'PAGESIZE=4096', 'SYMBOL(init_uts_ns)=c7d51de0', ''].join('\n'));
const X86_64 = parseVmcoreinfo(['OSRELEASE=6.1.0-57-amd64', 'PAGESIZE=4096', 'NUMBER(phys_base)=-1073741824', ''].join('\n'));

describe('the architecture and kernel addresses VMCOREINFO implies', () => {
  it("names the architecture from keys only that architecture writes, then from Debian's flavour suffix", () => {
    expect(archFromVmcoreinfo(AARCH64)).toBe('aarch64');
    expect(archFromVmcoreinfo(S390X)).toBe('s390x');
    expect(archFromVmcoreinfo(X86_64)).toBe('x86_64');
    expect(archFromVmcoreinfo(I386)).toBe('i386');
    expect(archFromVmcoreinfo(parseVmcoreinfo('OSRELEASE=6.1.0-27-powerpc64le\n'))).toBe('ppc64');
    expect(archFromVmcoreinfo(parseVmcoreinfo('OSRELEASE=6.1.0-custom\n'))).toBeUndefined();
  });

  it("translates a kernel-image symbol by each architecture's rule", () => {
    const uts = (info: typeof AARCH64) => info.symbols.get('init_uts_ns')!;
    // arm64: virt - kimage_voffset
    expect(kernelImageVirtToPhys('aarch64', AARCH64, uts(AARCH64))).toBe(0x4211c030n);
    // i386: virt - PAGE_OFFSET (3G/1G split)
    expect(kernelImageVirtToPhys('i386', I386, uts(I386))).toBe(0x07d51de0n);
    // s390x 6.1: virtual = physical
    expect(kernelImageVirtToPhys('s390x', S390X, uts(S390X))).toBe(0xef4898n);
    // x86_64: virt - __START_KERNEL_map + phys_base
    expect(kernelImageVirtToPhys('x86_64', X86_64, 0xffffffff82a00000n, 0x3e000000n)).toBe(0x40a00000n);
    expect(kernelImageVirtToPhys('riscv64', AARCH64, 0xffffffff80000000n)).toBeUndefined();
  });

  it('maps the aarch64 linear map from PAGE_OFFSET = -2^VA_BITS to PHYS_OFFSET, and the image above PAGE_END by kimage_voffset', () => {
    expect(kernelLinearVirtToPhys('aarch64', AARCH64, 0xffff000000000000n)).toBe(0x40000000n);
    expect(kernelLinearVirtToPhys('aarch64', AARCH64, 0xffff000008146000n)).toBe(0x48146000n);
    expect(kernelLinearVirtToPhys('aarch64', AARCH64, 0xffffbc7073f1c030n)).toBe(0x4211c030n);
    expect(kernelLinearVirtToPhys('i386', I386, 0xc7e80c7cn)).toBe(0x07e80c7cn);
    expect(kernelLinearVirtToPhys('s390x', S390X, 0x1ac8000n)).toBe(0x1ac8000n);
  });

  it('takes PAGESIZE only when it is a power of two between 4 KiB and 1 MiB', () => {
    expect(kernelPageSize(AARCH64)).toBe(4096);
    expect(kernelPageSize(parseVmcoreinfo('PAGESIZE=65536\n'))).toBe(65536);
    expect(kernelPageSize(parseVmcoreinfo('PAGESIZE=12288\n'))).toBeUndefined();
    expect(kernelPageSize(undefined)).toBeUndefined();
  });
});

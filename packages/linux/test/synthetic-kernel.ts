import { parseVmcoreinfo, type Vmcoreinfo } from '@vmcore/vmcoreinfo';
import { KernelInfo, KernelMemory, type KernelTranslate } from '../src/index.js';

/** A flat little-endian "guest" whose kernel addresses are BASE + physical address. */
export const BASE = 0xffff_8880_0000_0000n;

export class FlatMemory {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u64(virt: bigint, value: bigint): void {
    this.view.setBigUint64(Number(virt - BASE), value, true);
  }
  u32(virt: bigint, value: number): void {
    this.view.setUint32(Number(virt - BASE), value, true);
  }
  u16(virt: bigint, value: number): void {
    this.view.setUint16(Number(virt - BASE), value, true);
  }
  u8(virt: bigint, value: number): void {
    this.bytes[Number(virt - BASE)] = value;
  }
  set(virt: bigint, data: Uint8Array): void {
    this.bytes.set(data, Number(virt - BASE));
  }
  memory(): KernelMemory {
    const translate: KernelTranslate = async (virt) =>
      virt >= BASE && virt < BASE + BigInt(this.bytes.length) ? { physAddr: Number(virt - BASE), pageSize: 4096 } : undefined;
    return new KernelMemory({ read: async (p, n) => this.bytes.slice(p, p + n), translate, endian: 'le' });
  }
}

/** The printk entries of a Debian 6.1 x86_64 kernel's VMCOREINFO (packages/vmcoreinfo/test/fixtures). */
export const PRINTK_6_1 = `OSRELEASE=6.1.0-test
PAGESIZE=4096
SIZE(printk_ringbuffer)=88
OFFSET(printk_ringbuffer.desc_ring)=0
OFFSET(printk_ringbuffer.text_data_ring)=48
SIZE(prb_desc_ring)=48
OFFSET(prb_desc_ring.count_bits)=0
OFFSET(prb_desc_ring.descs)=8
OFFSET(prb_desc_ring.infos)=16
OFFSET(prb_desc_ring.head_id)=24
OFFSET(prb_desc_ring.tail_id)=32
SIZE(prb_desc)=24
OFFSET(prb_desc.state_var)=0
OFFSET(prb_desc.text_blk_lpos)=8
SIZE(prb_data_blk_lpos)=16
OFFSET(prb_data_blk_lpos.begin)=0
OFFSET(prb_data_blk_lpos.next)=8
SIZE(printk_info)=88
OFFSET(printk_info.seq)=0
OFFSET(printk_info.ts_nsec)=8
OFFSET(printk_info.text_len)=16
OFFSET(printk_info.caller_id)=20
SIZE(prb_data_ring)=32
OFFSET(prb_data_ring.size_bits)=0
OFFSET(prb_data_ring.data)=8
SIZE(atomic_long_t)=8
OFFSET(atomic_long_t.counter)=0
`;

export function info(text: string, extra = ''): { vmcoreinfo: Vmcoreinfo; kernelInfo: KernelInfo } {
  const vmcoreinfo = parseVmcoreinfo(text + extra);
  return { vmcoreinfo, kernelInfo: new KernelInfo(vmcoreinfo, 'the test') };
}

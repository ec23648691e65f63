import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import type { LinuxKernel } from './kernel.js';
import { readLogBuf } from './log-buf.js';
import type { KernelLog } from './log-record.js';
import { readPrintkRingbuffer } from './printk-ringbuffer.js';

/**
 * The kernel log, from whichever buffer the kernel has: the lockless ring buffer when VMCOREINFO
 * has SYMBOL(prb) (Linux 5.10+), else the variable-length log_buf (3.5 to 5.9), as makedumpfile
 * --dump-dmesg chooses.
 */
export async function readKernelLog(kernel: LinuxKernel): Promise<KernelLog> {
  if (kernel.info.hasSymbol('prb')) {
    return { source: 'printk_ringbuffer', records: await readPrintkRingbuffer(kernel.memory, kernel.info, kernel.wordSize) };
  }
  if (kernel.info.hasSymbol('log_buf')) {
    return { source: 'log_buf', records: await readLogBuf(kernel.memory, kernel.info, kernel.wordSize) };
  }
  throw new VmcoreError(VmcoreErrorCode.Unsupported, 'VMCOREINFO has neither SYMBOL(prb) nor SYMBOL(log_buf), which the kernel log needs');
}

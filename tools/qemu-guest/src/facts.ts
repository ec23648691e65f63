/** What the guest's /init printed on the console (VMCORE-FACT lines). */
export interface GuestFacts {
  kernelRelease: string;
  /** /proc/iomem "Kernel code" (inclusive end, as the kernel prints it); moves with KASLR. */
  iomemKernelCode: { start: number; end: number };
  /** /sys/kernel/vmcoreinfo: physical address and size of the VMCOREINFO note buffer. */
  vmcoreinfoPaddr: number;
  vmcoreinfoSize: number;
  /** Whether /sys/firmware/qemu_fw_cfg/by_name/etc/vmcoreinfo existed (QEMU's -device vmcoreinfo). */
  fwCfgVmcoreinfo: boolean;
  /** Every /proc/iomem line as printed. */
  iomem: string[];
}

/** Parses the VMCORE-FACT lines of a serial log; throws naming the fact that is missing. */
export function parseConsoleFacts(log: string): GuestFacts {
  const facts = new Map<string, string>();
  const iomem: string[] = [];
  for (const raw of log.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const at = line.indexOf('VMCORE-FACT ');
    if (at < 0) continue;
    const rest = line.slice(at + 'VMCORE-FACT '.length);
    const sp = rest.indexOf(' ');
    const key = sp < 0 ? rest : rest.slice(0, sp);
    const value = sp < 0 ? '' : rest.slice(sp + 1);
    if (key === 'iomem') iomem.push(value);
    else facts.set(key, value.trim());
  }
  const need = (k: string) => {
    const v = facts.get(k);
    if (v === undefined) throw new Error(`guest console: no "VMCORE-FACT ${k}" line`);
    return v;
  };
  const code = iomem.find((l) => /: Kernel code$/.test(l.trim()));
  const m = code?.trim().match(/^([0-9a-f]+)-([0-9a-f]+) : Kernel code$/);
  if (!m) throw new Error(`guest console: no "Kernel code" line in /proc/iomem (${iomem.length} iomem lines)`);
  const vi = need('vmcoreinfo').split(/\s+/);
  if (vi.length !== 2) throw new Error(`guest console: /sys/kernel/vmcoreinfo printed "${need('vmcoreinfo')}", expected "<paddr> <size>"`);
  return {
    kernelRelease: need('uname-r'),
    iomemKernelCode: { start: parseInt(m[1]!, 16), end: parseInt(m[2]!, 16) },
    vmcoreinfoPaddr: parseInt(vi[0]!, 16),
    vmcoreinfoSize: parseInt(vi[1]!, 16),
    fwCfgVmcoreinfo: need('fwcfg-vmcoreinfo') === 'yes',
    iomem,
  };
}

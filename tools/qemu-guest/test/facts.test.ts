import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConsoleFacts } from '../src/index.js';

const log = readFileSync(new URL('./fixtures/console-seabios-512m.log', import.meta.url), 'utf8');

describe('console facts', () => {
  it('reads release, Kernel code, the VMCOREINFO note address and its (hex) size', () => {
    const f = parseConsoleFacts(log);
    expect(f.kernelRelease).toBe('6.1.0-56-amd64');
    expect(f.iomemKernelCode).toEqual({ start: 0x13400000, end: 0x14201d31 });
    expect(f.vmcoreinfoPaddr).toBe(0x13a0000);
    expect(f.vmcoreinfoSize).toBe(0x1024);
    expect(f.fwCfgVmcoreinfo).toBe(true);
    expect(f.iomem).toContain('00100000-1ffdffff : System RAM');
  });

  it('finds fact lines interleaved with kernel messages', () => {
    const noisy = log.replace('VMCORE-FACT uname-r', '[    3.1] random: crng init done\r\nVMCORE-FACT uname-r');
    expect(parseConsoleFacts(noisy).kernelRelease).toBe('6.1.0-56-amd64');
  });

  it('names the fact that is missing', () => {
    expect(() => parseConsoleFacts(log.replace(/.*uname-r.*\r?\n/, ''))).toThrow(/uname-r/);
    expect(() => parseConsoleFacts(log.replace(/.*Kernel code.*\r?\n/, ''))).toThrow(/Kernel code/);
  });
});

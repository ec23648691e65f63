import { describe, expect, it } from 'vitest';
import { latencyTable, type LatencyRow } from '../src/qmp-latency.js';

const row = (server: string, format: string, p99: number): LatencyRow => ({
  server,
  source: 'src',
  format,
  dumpSeconds: 1,
  queries: 100,
  p50: 1,
  p99,
  max: p99,
  loopP99: server === 'QEMU 7.2' ? Number.NaN : p99 / 2,
  loopMax: server === 'QEMU 7.2' ? Number.NaN : p99,
});

describe('bench qmp-latency parts', () => {
  it("flags a p99 above 50 ms and divides ours by QEMU's p99 for the same format", () => {
    const lines = latencyTable([row('QEMU 7.2', 'elf', 5), row('vmcore-qmp', 'elf', 20), row('vmcore-qmp', 'kdump-lzo', 80)]).split('\n');
    const cells = (i: number) => lines[i]!.trim().split(/\s+/);
    expect(cells(3).slice(-5)).toEqual(['yes', '5.00', '4.00', '10.0', '20.0']);
    expect(cells(4).slice(-5)).toEqual(['NO', '-', '-', '40.0', '80.0']);
  });
});

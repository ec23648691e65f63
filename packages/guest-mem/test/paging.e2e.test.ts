import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readExact } from '@vmcore/bytes';
import { FileSource } from '@vmcore/bytes/node';
import { referenceGuest } from '@vmcore/qemu-guest';
import { pagingMappings, x86PagingCpusFromNotes, x86PagingMode, type MemoryMapping, type PhysBlock } from '../src/index.js';
import { readCore } from './qemu-core.js';

const EM_X86_64 = 62;

describe('pagingMappings against QEMU 7.2 paging=true dumps of a real guest', () => {
  for (const firmware of ['seabios', 'ovmf'] as const) {
    describe(firmware, () => {
      let paging: FileSource;
      let plain: FileSource;

      beforeAll(async () => {
        const guest = await referenceGuest({ firmware });
        paging = await FileSource.open(guest.qemuElfPaging);
        plain = await FileSource.open(guest.qemuElf);
      });
      afterAll(async () => {
        await paging?.close();
        await plain?.close();
      });

      it("gives QEMU's PT_LOAD list (phys, virt, length, order) from the QEMU notes and the paging=false dump's memory", async () => {
        const core = await readCore(paging);
        const memory = await readCore(plain);
        // paging=false PT_LOADs are QEMU's guest_phys_blocks.
        const blocks: PhysBlock[] = memory.loads.map((l) => ({ start: l.paddr, size: l.memsz }));
        const read = (addr: number, length: number) => {
          const load = memory.loads.find((l) => addr >= l.paddr && addr + length <= l.paddr + l.filesz);
          if (!load) throw new Error(`no PT_LOAD holds ${addr.toString(16)}+${length}`);
          return readExact(plain, load.offset + addr - load.paddr, length, 'guest memory');
        };
        const cpus = x86PagingCpusFromNotes(core.notes);
        expect(core.machine).toBe(EM_X86_64);
        expect(cpus.length).toBeGreaterThan(0);
        // The inference from the notes alone agrees with e_machine on this guest.
        expect(cpus.map((cpu) => x86PagingMode(cpu))).toEqual(cpus.map(() => '4-level'));

        const started = performance.now();
        const ours = await pagingMappings(read, cpus, blocks, { assumeLongMode: core.machine === EM_X86_64 });
        const ms = performance.now() - started;
        const qemu: MemoryMapping[] = core.loads.map((l) => ({ physAddr: l.paddr, virtAddr: l.vaddr, length: l.memsz }));

        expect(qemu.length).toBeGreaterThan(10_000);
        const firstDifference = qemu.findIndex(
          (m, i) =>
            ours[i] === undefined || ours[i].physAddr !== m.physAddr || ours[i].virtAddr !== m.virtAddr || ours[i].length !== m.length,
        );
        expect({
          firstDifference,
          ours: ours.slice(firstDifference, firstDifference + 3),
          qemu: qemu.slice(firstDifference, firstDifference + 3),
        }).toEqual({ firstDifference: -1, ours: [], qemu: [] });
        expect(ours.length).toBe(qemu.length);
        console.log(`${firmware}: ${ours.length} mappings, ${cpus.length} CPUs, ${ms.toFixed(0)} ms`);
        expect(ms).toBeLessThan(5000);
      });
    });
  }
});

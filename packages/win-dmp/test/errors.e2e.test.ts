import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { applyWrites, nonX86WinDmpReply, winGuestMutations, winReferenceGuest, type WinGuestOptions } from '@vmcore/win-guest';
import { guestFromParts, EM_AARCH64 } from '@vmcore/guest-mem';
import { planWinDump } from '../src/index.js';
import { differences, ramGuest, winDumpBytes } from './helpers.js';

/**
 * Every check of QEMU 7.2's dump/win_dump.c, reached by changing the synthetic guest's memory,
 * and QEMU's own reply on the same memory (recorded when the reference guest was built).
 * Unreachable in QEMU and so not here: "failed to write CPU #n context" (the write follows a
 * successful read of the same bytes) and "failed to map physical range" (QEMU maps holes
 * through its bounce buffer).
 */
describe.each<WinGuestOptions>([
  { cpus: 1, kdbg: 'plain', highMemory: false },
  { cpus: 4, kdbg: 'plain', highMemory: true },
])("QEMU 7.2's win-dmp errors and warnings on %o", (options) => {
  it('reproduces every case: the same error text, or the same file and a warning', async () => {
    const ref = await winReferenceGuest(options);
    const pristine = new Uint8Array(await readFile(ref.ramFile));
    const mutations = winGuestMutations(ref.facts);
    const cases = ref.cases.filter((c) => c.name !== 'paging');
    expect(cases.map((c) => c.name)).toEqual(mutations.map((m) => m.name));
    const seen: string[] = [];
    for (const mutation of mutations) {
      const qemu = cases.find((c) => c.name === mutation.name)!;
      const ram = pristine.slice();
      applyWrites(ram, ref.facts, mutation.writes);
      const guest = await ramGuest(ref, ram);
      const warnings: string[] = [];
      const outcome = await winDumpBytes(guest, { onWarning: (w) => warnings.push(w) }).then(
        (r) => ({ bytes: r.bytes }),
        (e: unknown) => ({ error: (e as Error).message }),
      );
      await guest.close();
      if (qemu.error !== undefined) {
        expect({ name: mutation.name, error: 'error' in outcome ? outcome.error : 'no error' }).toEqual({
          name: mutation.name,
          error: qemu.error,
        });
      } else {
        expect('bytes' in outcome, `${mutation.name}: ${'error' in outcome ? outcome.error : ''}`).toBe(true);
        const bytes = (outcome as { bytes: Buffer }).bytes;
        expect({ name: mutation.name, differences: differences(bytes, await readFile(qemu.file!)) }).toEqual({
          name: mutation.name,
          differences: [],
        });
      }
      // QEMU's warn_report() lines, from its stderr, are ours too.
      expect({ name: mutation.name, warnings }).toEqual({ name: mutation.name, warnings: qemu.warnings });
      seen.push(...warnings);
    }
    expect(new Set(seen)).toEqual(
      new Set([
        'win-dump: failed to read MmPfnDatabase',
        'win-dump: failed to read KiBugcheckData',
        'win-dump: failed to read bugcheck data',
        ...(options.cpus > 1 ? ['win-dump: number of QEMU CPUs is bigger than NumberProcessors (3) in guest Windows'] : []),
      ]),
    );
  });
});

describe('a guest that is not x86', () => {
  it("gets QEMU's reply: qemu-system-aarch64 refuses win-dmp with the same text", async () => {
    const qemu = await nonX86WinDmpReply();
    const guest = guestFromParts({
      info: { elfClass: 64, endian: 'le', machine: EM_AARCH64, arch: 'aarch64', pageSize: 65536 },
      parts: [{ start: 0x40000000, size: 65536 }],
    });
    await expect(planWinDump(guest)).rejects.toThrow(qemu);
    expect(qemu).toBe('Windows dump is only available for x86-64');
  });
});

import { describe, expect, it } from 'vitest';
import { buildWinGuest, decodeKdbgBlock, encodeKdbg, encodeKdbgBlock, type KdbgKeys } from '../src/index.js';

const keys: KdbgKeys = {
  kiWaitNever: 0x1234_5678_9abc_de17n,
  kiWaitAlways: 0x0fed_cba9_8765_4321n,
  kdpDataBlockEncoded: 0xfffff806_12345678n,
};

function noteAt(bytes: Uint8Array, at: number) {
  const view = new DataView(bytes.buffer, bytes.byteOffset + at);
  const namesz = view.getUint32(0, true);
  const descsz = view.getUint32(4, true);
  const name = String.fromCharCode(...bytes.subarray(at + 12, at + 12 + namesz - 1));
  const descAt = at + 12 + ((namesz + 3) & ~3);
  return { namesz, descsz, name, desc: bytes.subarray(descAt, descAt + descsz) };
}

describe('synthetic Windows guest', () => {
  it('decodes what it encodes (KdCopyDataBlock and its inverse), also for a whole block', () => {
    for (const v of [0n, 1n, 0x4742444bn, 0xffff_ffff_ffff_ffffn, 0xfffff806_12000000n]) {
      expect(decodeKdbgBlock(encodeKdbgBlock(v, keys), keys)).toBe(v);
    }
    const plain = new Uint8Array(32).map((_, i) => i * 7);
    const encoded = encodeKdbg(plain, keys);
    expect(encoded).not.toEqual(plain);
    const view = new DataView(encoded.buffer);
    const back = new Uint8Array(32);
    const out = new DataView(back.buffer);
    for (let at = 0; at < 32; at += 8) out.setBigUint64(at, decodeKdbgBlock(view.getBigUint64(at, true), keys), true);
    expect(back).toEqual(plain);
  });

  it('puts a VMCOREINFO note holding a PAGEDU64 header where the facts say, and a plain KDBG block', () => {
    const { ram, facts } = buildWinGuest({ cpus: 2, kdbg: 'plain', highMemory: false, memMiB: 16 });
    const note = noteAt(ram.bytes, facts.notePaddr);
    expect(note.name).toBe('VMCOREINFO');
    expect(12 + ((note.namesz + 3) & ~3) + note.descsz).toBe(facts.noteSize);
    expect(String.fromCharCode(...note.desc.subarray(0, 8))).toBe('PAGEDU64');
    expect(String.fromCharCode(...ram.bytes.subarray(facts.kdbgPhys + 0x10, facts.kdbgPhys + 0x14))).toBe('KDBG');
    expect(facts.prcbVirt).toHaveLength(2);
  });

  it('keeps an encoded KDBG block without a readable OwnerTag', () => {
    const { ram, facts } = buildWinGuest({ cpus: 1, kdbg: 'encoded', highMemory: false, memMiB: 16 });
    expect(facts.keys).toBeDefined();
    expect(String.fromCharCode(...ram.bytes.subarray(facts.kdbgPhys + 0x10, facts.kdbgPhys + 0x14))).not.toBe('KDBG');
  });
});

import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSink, FileSource, StreamSink } from '@vmcore/bytes/node';
import { referenceGuest, type ReferenceGuest } from '@vmcore/qemu-guest';
import { FlattenedIndex, FlattenedSink, isFlattened, reassemble } from '../src/index.js';

let ref: ReferenceGuest;
let dir: string;

beforeAll(async () => {
  ref = await referenceGuest();
  dir = mkdtempSync(join(tmpdir(), 'flat-e2e-'));
}, 900_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

describe("QEMU's flattened kdump-zlib", () => {
  it('is recognised by isFlattened', async () => {
    const source = await FileSource.open(ref.qemuKdumpZlib);
    expect(isFlattened(await source.read(0, 4096))).toBe(true);
    await source.close();
  });

  it('reassembles to what makedumpfile -R wrote, byte for byte', async () => {
    const out = join(dir, 'reassembled.kdump');
    const sink = await FileSink.create(out, { atomic: false });
    const result = await reassemble(createReadStream(ref.qemuKdumpZlib), sink, { name: ref.qemuKdumpZlib });
    await sink.commit();
    const flat = await FileSource.open(ref.qemuKdumpZlib);
    expect(result.inputBytes).toBe(flat.size);
    await flat.close();
    expect(sameBytes(readFileSync(out), readFileSync(ref.qemuKdumpZlibRaw))).toBe(true);
  }, 120_000);

  it('reads in place through FlattenedIndex equal to the reassembled file', async () => {
    const index = await FlattenedIndex.build(await FileSource.open(ref.qemuKdumpZlib));
    const raw = readFileSync(ref.qemuKdumpZlibRaw);
    expect(index.size).toBe(raw.length);
    expect(sameBytes(await index.read(0, index.size), raw)).toBe(true);
    await index.close();
  }, 120_000);

  it('re-flattened by FlattenedSink and piped into makedumpfile -R gives the same file', async () => {
    const out = join(dir, 'via-makedumpfile.kdump');
    const child = spawn('makedumpfile', ['-R', out], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const raw = readFileSync(ref.qemuKdumpZlibRaw);
    const sink = new FlattenedSink(new StreamSink(child.stdin, 'makedumpfile -R'));
    // Out of order, in uneven pieces: the reassembler must place each record by its offset.
    const pieces: [number, number][] = [];
    for (let at = 0; at < raw.length; at += 1_000_003) pieces.push([at, Math.min(raw.length, at + 1_000_003)]);
    for (const [from, to] of pieces.reverse()) await sink.write(from, raw.subarray(from, to));
    await sink.close();
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/error/i);
    expect(sameBytes(readFileSync(out), raw)).toBe(true);
  }, 120_000);
});

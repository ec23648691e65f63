// Converts a sparse synthetic guest to kdump and reports time and peak RSS.
// usage: node bench/sparse-guest.mjs [GiB=8] [workers=2] [codec=zlib] [out=/tmp/sparse.kdump]
// (run `pnpm --filter @vmcore/kdump... build` first; the output file is deleted afterwards)
import { rmSync } from 'node:fs';
import { MemorySource } from '@vmcore/bytes';
import { FileSink } from '@vmcore/bytes/node';
import { guestFromParts } from '@vmcore/guest-mem';
import { writeKdump } from '../dist/index.js';

const [gib = '8', workers = '2', codec = 'zlib', out = '/tmp/sparse-guest.kdump'] = process.argv.slice(2);
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const size = Number(gib) * GiB;

// A q35-like split: RAM below 3 GiB and the rest above 4 GiB. Every 256 MiB holds 1 MiB of
// text-like (compressible) and 1 MiB of random data; everything else is zero.
const text = new Uint8Array(MiB);
for (let i = 0; i < MiB; i++) text[i] = 'kdump sparse guest '.charCodeAt(i % 19);
const random = new Uint8Array(MiB);
let x = 12345;
for (let i = 0; i < MiB; i++) {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  random[i] = x & 0xff;
}
const textSource = new MemorySource(text, 'text');
const randomSource = new MemorySource(random, 'random');

const below = Math.min(size, 3 * GiB);
const ranges = [[0, below], ...(size > below ? [[4 * GiB, 4 * GiB + size - below]] : [])];
const parts = [];
for (const [start, end] of ranges) {
  for (let at = start; at < end; at += 256 * MiB) {
    parts.push({ start: at, size: MiB, source: textSource, name: 'ram' });
    parts.push({ start: at + MiB, size: MiB, source: randomSource, name: 'ram' });
    parts.push({ start: at + 2 * MiB, size: Math.min(256 * MiB, end - at) - 2 * MiB, name: 'ram' });
  }
}
const blocks = ranges.map(([start, end]) => ({ start, size: end - start, name: 'ram' }));
const guest = guestFromParts({
  info: { elfClass: 64, endian: 'le', machine: 62, arch: 'x86_64', pageSize: 4096 },
  parts,
  blocks,
  cpuNotes: [],
  nrCpus: 1,
});

let peakSampled = 0;
const sampler = setInterval(() => (peakSampled = Math.max(peakSampled, process.memoryUsage().rss)), 50);
const t0 = performance.now();
const sink = await FileSink.create(out, { atomic: false });
const written = await writeKdump(guest, sink, { codec, workers: Number(workers) });
await sink.commit();
const seconds = (performance.now() - t0) / 1000;
clearInterval(sampler);
rmSync(out, { force: true });
console.log(
  JSON.stringify({
    guestGiB: Number(gib),
    codec,
    workers: Number(workers),
    outputMiB: +(written / MiB).toFixed(1),
    seconds: +seconds.toFixed(2),
    guestGiBPerSecond: +(Number(gib) / seconds).toFixed(2),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    sampledPeakRssMiB: Math.round(peakSampled / MiB),
  }),
);

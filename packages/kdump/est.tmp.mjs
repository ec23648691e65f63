import { FileSource } from '@vmcore/bytes/node';
import { openKdumpGuest } from '@vmcore/kdump';
import { deflateSync } from 'node:zlib';
const g = await openKdumpGuest(await FileSource.open(process.argv[2]));
let l1 = 0, l9 = 0, zero = 0, n = 0;
for await (const c of g.chunks({})) {
  for (let o = 0; o < c.bytes.length; o += 4096) {
    const p = c.bytes.subarray(o, o + 4096); n++;
    if (p.every((b) => b === 0)) { zero++; continue; }
    const a = deflateSync(p, { level: 1 }).length, b = deflateSync(p, { level: 9, memLevel: 9 }).length;
    l1 += Math.min(a, 4096); l9 += Math.min(b, 4096);
  }
}
console.log({ n, zero, l1MiB: l1 / 2 ** 20, l9MiB: l9 / 2 ** 20 });

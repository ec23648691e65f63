import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GuestMemory, MemoryChunk } from '@vmcore/guest-mem';
import { afterAll } from 'vitest';
import { memoryGuest } from '@vmcore/test-support';

const made: string[] = [];

// Every test file that makes temporary folders removes them when it is done.
afterAll(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vmcore-dump-test-'));
  made.push(dir);
  return dir;
}

export async function writeTemp(dir: string, name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

/** A 1 MiB x86_64 guest with recognisable pages and one CPU's notes. */
export function smallGuest(guestNote?: Uint8Array): GuestMemory {
  const ram = new Uint8Array(1 << 20);
  for (let i = 0; i < ram.length; i += 4096) ram.fill((i >> 12) & 0xff, i, i + 4096);
  return memoryGuest({
    info: { elfClass: 64, endian: 'le', machine: 62, arch: 'x86_64', pageSize: 4096 },
    blocks: [{ start: 0, bytes: ram, name: 'pc.ram' }],
    cpuNotes: [
      { name: 'CORE', type: 1, desc: new Uint8Array(336) },
      { name: 'QEMU', type: 0, desc: new Uint8Array(440) },
    ],
    nrCpus: 1,
    ...(guestNote ? { guestNote } : {}),
  });
}

/** The same guest whose memory stream fails after `afterBytes` (a disk or a QEMU that went away). */
export function failingGuest(guest: GuestMemory, afterBytes: number, message = 'RAM file vanished'): GuestMemory {
  return {
    ...guest,
    read: (a, l) => guest.read(a, l),
    close: () => guest.close(),
    chunks(options) {
      return {
        async *[Symbol.asyncIterator](): AsyncIterator<MemoryChunk> {
          let seen = 0;
          for await (const chunk of guest.chunks({ ...options, chunkSize: 64 << 10 })) {
            if (seen >= afterBytes) throw new Error(message);
            seen += chunk.bytes.length;
            yield chunk;
          }
        },
      } as AsyncIterable<MemoryChunk>;
    },
  };
}

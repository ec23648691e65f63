// Converts an ELF core to kdump-raw in a process of its own, so that its environment picks the
// codec tier (VMCORE_NO_NATIVE=1: the WebAssembly libdeflate; both that and VMCORE_NO_WASM=1:
// node:zlib), which a test process has already chosen for itself. Prints which tier it had.
// Usage: node test/write-kdump.mjs ELF OUT CODEC PHYS_BASE   (qemu.e2e.test.ts)
import { FileSink, FileSource } from '@vmcore/bytes/node';
import { nativeCodecs, wasmZlib } from '@vmcore/compress';
import { openElfGuest } from '@vmcore/elf';
import { writeKdump } from '@vmcore/kdump';

const [elf, out, codec, physBase] = process.argv.slice(2);
const guest = await openElfGuest(await FileSource.open(elf));
const sink = await FileSink.create(out, { atomic: false });
try {
  await writeKdump(guest, sink, { codec, physBase: BigInt(physBase), workers: 2 });
} finally {
  await sink.commit();
  await guest.close();
}
console.log(JSON.stringify({ native: nativeCodecs() !== undefined, wasm: wasmZlib() !== undefined }));

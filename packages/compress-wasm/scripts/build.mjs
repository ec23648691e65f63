// Compiles libdeflate's zlib-format compressor and decompressor with wasm/glue.c into
// build/libdeflate.wasm: clang --target=wasm32 and wasm-ld (tools/deps/wasm.list), no libc
// (libdeflate's FREESTANDING build), SIMD and bulk memory (memcpy as memory.copy). The source
// is Debian's libdeflate package, unpacked by tools/deps/libdeflate-source.sh into
// <repo>/.cache/libdeflate-source/src (or VMCORE_LIBDEFLATE_SOURCE). The module is optional:
// when the compiler or the source is missing it prints why and exits 0, and @vmcore/compress
// keeps using node:zlib. VMCORE_WASM_REQUIRED=1 makes that an error.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build/libdeflate.wasm');
const source = resolve(process.env.VMCORE_LIBDEFLATE_SOURCE ?? join(root, '../../.cache/libdeflate-source/src'));
const clang = process.env.VMCORE_WASM_CC ?? 'clang';
// Only what the zlib format needs: no gzip, no crc32, no CPU feature detection.
const libSources = ['deflate_compress', 'zlib_compress', 'deflate_decompress', 'zlib_decompress', 'adler32', 'utils'];
// 64 MiB bounds the module's memory: compressors for every level used (about 1 MiB each at
// levels 1-9) and the I/O area, which the JavaScript side keeps to about 2 MiB per call.
const MAX_MEMORY = 64 << 20;

function skip(why) {
  rmSync(out, { force: true });
  const message = `@vmcore/compress-wasm: not built (${why}); @vmcore/compress uses node:zlib for zlib pages`;
  if (process.env.VMCORE_WASM_REQUIRED === '1') {
    console.error(message);
    process.exit(1);
  }
  console.warn(message);
  process.exit(0);
}

function run(args) {
  const result = spawnSync(clang, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.error || result.status !== 0) {
    skip(`${clang} ${result.error ? result.error.message : `exited with ${result.status}`}`);
  }
}

if (!existsSync(join(source, 'libdeflate.h'))) {
  skip(`no libdeflate source in ${source}: run sh tools/deps/libdeflate-source.sh`);
}
const probe = spawnSync(clang, ['--print-targets'], { encoding: 'utf8' });
if (probe.error || probe.status !== 0) skip(`${clang} not found: apt-get install clang lld (tools/deps/wasm.list)`);
if (!/\bwasm32\b/.test(probe.stdout)) skip(`${clang} has no wasm32 target`);

const common = ['--target=wasm32', '-O2', '-msimd128', '-mbulk-memory', '-nostdlib', '-DFREESTANDING', `-I${source}`];
const work = mkdtempSync(join(tmpdir(), 'vmcore-wasm-'));
try {
  const objects = [];
  for (const name of libSources) {
    const object = join(work, `${name}.o`);
    // libdeflate's own code as upstream ships it; its sign-compare warnings are not ours.
    run([...common, '-w', '-c', join(source, 'lib', `${name}.c`), '-o', object]);
    objects.push(object);
  }
  const glue = join(work, 'glue.o');
  run([...common, '-Wall', '-Wextra', '-Werror', '-c', join(root, 'wasm/glue.c'), '-o', glue]);
  objects.push(glue);
  const linked = join(work, basename(out));
  run([
    ...common,
    ...objects,
    '-Wl,--no-entry',
    `-Wl,--max-memory=${MAX_MEMORY}`,
    '-Wl,-z,stack-size=262144',
    '-Wl,--strip-all',
    '-o',
    linked,
  ]);
  mkdirSync(dirname(out), { recursive: true });
  copyFileSync(linked, out);
} finally {
  rmSync(work, { recursive: true, force: true });
}

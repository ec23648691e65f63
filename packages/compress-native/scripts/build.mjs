// Compiles native/codecs.c into build/vmcore_compress.node with the system C compiler (no
// node-gyp): Node's own headers (<prefix>/include/node, as Debian's and nodejs.org's builds
// ship them) and libdeflate, liblzo2 and libsnappy (tools/deps/speed.list). The addon is
// optional: when a header or the compiler is missing it prints why and exits 0, and
// @vmcore/compress keeps using its own codecs. VMCORE_NATIVE_REQUIRED=1 makes that an error.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build/vmcore_compress.node');
const nodeIncludes = [resolve(dirname(process.execPath), '../include/node'), '/usr/include/node', '/usr/local/include/node'];
const nodeInclude = nodeIncludes.find((dir) => existsSync(join(dir, 'node_api.h')));
const headers = ['libdeflate.h', 'lzo/lzo1x.h', 'snappy-c.h'];
const includeDirs = ['/usr/include', '/usr/local/include'];
const missing = headers.filter((h) => !includeDirs.some((dir) => existsSync(join(dir, h))));
const cc = process.env.CC ?? 'cc';

function skip(why) {
  rmSync(out, { force: true });
  const message = `@vmcore/compress-native: not built (${why}); @vmcore/compress uses its own codecs`;
  if (process.env.VMCORE_NATIVE_REQUIRED === '1') {
    console.error(message);
    process.exit(1);
  }
  console.warn(message);
  process.exit(0);
}

if (!nodeInclude) skip(`no node_api.h in ${nodeIncludes.join(', ')}`);
if (missing.length > 0) skip(`missing ${missing.join(', ')}: apt-get install libdeflate-dev liblzo2-dev libsnappy-dev`);
mkdirSync(dirname(out), { recursive: true });
const args = [
  '-O2',
  '-Wall',
  '-Wextra',
  '-shared',
  '-fPIC',
  `-I${nodeInclude}`,
  join(root, 'native/codecs.c'),
  '-o',
  out,
  '-ldeflate',
  '-llzo2',
  '-lsnappy',
];
const run = spawnSync(cc, args, { stdio: 'inherit' });
if (run.error || run.status !== 0) skip(`${cc} ${run.error ? run.error.message : `exited with ${run.status}`}`);

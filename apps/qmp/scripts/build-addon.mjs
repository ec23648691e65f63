// Builds native/scm_rights.node with node-gyp and copies it to dist/native/. Uses the headers
// that ship with this Node (<prefix>/include/node) when present, so no download is needed.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const prefix = resolve(dirname(process.execPath), '..');
const args = ['rebuild', '--silent', '--directory', join(root, 'native')];
if (existsSync(join(prefix, 'include/node/node_api.h'))) args.push(`--nodedir=${prefix}`);
const nodeGyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
const run = spawnSync(process.execPath, [nodeGyp, ...args], { stdio: 'inherit' });
if (run.status !== 0) process.exit(run.status ?? 1);
mkdirSync(join(root, 'dist/native'), { recursive: true });
copyFileSync(join(root, 'native/build/Release/scm_rights.node'), join(root, 'dist/native/scm_rights.node'));

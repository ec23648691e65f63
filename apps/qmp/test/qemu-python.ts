import { execFile, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '../../..');
export const QEMU_QMP_CLIENT = join(HERE, 'fixtures/qemu_qmp_client.py');

let pythonPath: string | undefined;

/** python/ of Debian's qemu source package (unpacked by tools/deps/qemu-source.sh), holding qemu.qmp. */
export function qemuPythonPath(): string {
  if (pythonPath) return pythonPath;
  const run = spawnSync('sh', [join(REPO, 'tools/deps/qemu-source.sh')], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`tools/deps/qemu-source.sh failed: ${run.stderr}`);
  pythonPath = join(run.stdout.trim().split('\n').at(-1)!, 'src/python');
  return pythonPath;
}

/** Runs python3 with QEMU's qemu.qmp importable; resolves with stdout (asynchronously: a server may be in this process). */
export function runQemuPython(args: string[], options: { input?: string; cwd?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      '/usr/bin/python3',
      args,
      { env: { ...process.env, PYTHONPATH: qemuPythonPath() }, timeout: 120_000, cwd: options.cwd },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}

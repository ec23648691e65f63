import { readFileSync } from 'node:fs';
import { isVmcoreError } from '@vmcore/bytes';
import type { Io } from './context.js';
import { UsageError } from './usage.js';

type Command = (args: string[], io: Io) => Promise<number | void>;

// Each command's module (and with it @vmcore/dump, the codecs, zod...) is loaded only when that
// command runs: `vmcore --version` and `--help` start as fast as Node itself.
const COMMANDS: Record<string, () => Promise<Command>> = {
  convert: async () => (await import('./commands/convert.js')).convert,
  dump: async () => (await import('./commands/dump.js')).dump,
  info: async () => (await import('./commands/info.js')).info,
  dmesg: async () => (await import('./commands/dmesg.js')).dmesg,
  reassemble: async () => (await import('./commands/reassemble.js')).reassemble,
  demo: async () => (await import('./commands/demo.js')).demo,
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs one vmcore command line; returns the exit status. Never throws. */
export async function run(argv: string[], io: Io): Promise<number> {
  const [name, ...args] = argv;
  try {
    if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
      const { COMMAND_HELP, MAIN_HELP } = await import('./help.js');
      const topic = name === 'help' ? args[0] : undefined;
      io.stdout.write(topic && COMMAND_HELP[topic] ? COMMAND_HELP[topic] : MAIN_HELP);
      return name === undefined ? 2 : 0;
    }
    if (name === '-V' || name === '--version') {
      io.stdout.write(`vmcore ${version()}\n`);
      return 0;
    }
    const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!load) throw new UsageError(`unknown command '${name}'`);
    if (args.includes('--help') || args.includes('-h')) {
      const { COMMAND_HELP } = await import('./help.js');
      io.stdout.write(COMMAND_HELP[name]!);
      return 0;
    }
    const command = await load();
    return (await command(args, io)) ?? 0;
  } catch (error) {
    if (error instanceof UsageError) {
      const hint = error.command ? `vmcore ${error.command} --help` : 'vmcore --help';
      io.stderr.write(`vmcore: ${error.message}\nTry '${hint}'.\n`);
      return 2;
    }
    if (isVmcoreError(error)) {
      io.stderr.write(`vmcore: ${error.message}\n`);
      return 1;
    }
    const err = error as NodeJS.ErrnoException;
    io.stderr.write(`vmcore: ${err?.code === 'EPIPE' ? 'Broken pipe' : (err?.message ?? String(error))}\n`);
    return 1;
  }
}

import { readFileSync } from 'node:fs';
import { isVmcoreError } from '@vmcore/bytes';
import { isDumpRefusal } from '@vmcore/dump';
import { convert } from './commands/convert.js';
import { demo } from './commands/demo.js';
import { dump } from './commands/dump.js';
import { info } from './commands/info.js';
import { reassemble } from './commands/reassemble.js';
import type { Io } from './context.js';
import { cliRefusalMessage } from './dump-refusals.js';
import { COMMAND_HELP, MAIN_HELP } from './help.js';
import { UsageError } from './usage.js';

type Command = (args: string[], io: Io) => Promise<number | void>;

const COMMANDS: Record<string, Command> = { convert, dump, info, reassemble, demo };

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs one vmcore command line; returns the exit status. Never throws. */
export async function run(argv: string[], io: Io): Promise<number> {
  const [name, ...args] = argv;
  try {
    if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
      const topic = name === 'help' ? args[0] : undefined;
      io.stdout.write(topic && COMMAND_HELP[topic] ? COMMAND_HELP[topic] : MAIN_HELP);
      return name === undefined ? 2 : 0;
    }
    if (name === '-V' || name === '--version') {
      io.stdout.write(`vmcore ${version()}\n`);
      return 0;
    }
    const command = COMMANDS[name];
    if (!command) throw new UsageError(`unknown command '${name}'`);
    if (args.includes('--help') || args.includes('-h')) {
      io.stdout.write(COMMAND_HELP[name]!);
      return 0;
    }
    return (await command(args, io)) ?? 0;
  } catch (error) {
    if (error instanceof UsageError) {
      const hint = error.command ? `vmcore ${error.command} --help` : 'vmcore --help';
      io.stderr.write(`vmcore: ${error.message}\nTry '${hint}'.\n`);
      return 2;
    }
    if (isDumpRefusal(error)) {
      io.stderr.write(`vmcore: ${cliRefusalMessage(error)}\n`);
      return 1;
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

#!/usr/bin/env node

/** Exit status of a command ended by a signal: 128 + the signal number, as a shell reports it. */
const SIGNAL_STATUS = { SIGINT: 130, SIGTERM: 143 } as const;
/** How long a command has, after the first signal, to stop and clean up before it is ended. */
const GRACE_MS = 1000;

const controller = new AbortController();
let interruptedBy: keyof typeof SIGNAL_STATUS | undefined;
let removePartialFiles = (): void => undefined;

function leave(signal: keyof typeof SIGNAL_STATUS): never {
  removePartialFiles();
  process.exit(SIGNAL_STATUS[signal]);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // First signal: cancel (temporary output is removed); a second one, or a command still
    // running a second later, leaves at once, removing the temporary files itself.
    if (interruptedBy) leave(interruptedBy);
    interruptedBy = signal;
    controller.abort(new Error(`interrupted by ${signal}`));
    setTimeout(() => {
      process.stderr.write(`vmcore: interrupted by ${signal}\n`);
      leave(signal);
    }, GRACE_MS).unref();
  });
}

// A reader that goes away (`vmcore info x | head -c 100`) is a clean error, not a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  process.stderr.write(`vmcore: cannot write to stdout: ${error.code === 'EPIPE' ? 'Broken pipe' : error.message}\n`);
  process.exit(1);
});

// Loaded here so that a broken installation is one line too, not a module-loader stack trace.
const cli = await import('./cli.js').catch((error: unknown) => {
  process.stderr.write(`vmcore: cannot load the vmcore packages (run pnpm build): ${(error as Error).message.split('\n')[0]}\n`);
  process.exit(1);
});
removePartialFiles = cli.removePartialFiles;
const status = await cli.run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: controller.signal });
process.exitCode = interruptedBy && status !== 0 ? SIGNAL_STATUS[interruptedBy] : status;

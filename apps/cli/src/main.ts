#!/usr/bin/env node

const controller = new AbortController();
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // First signal: cancel the dump (temporary output is removed); second: leave at once.
    if (interrupted) process.exit(130);
    interrupted = true;
    controller.abort(new Error(`interrupted by ${signal}`));
  });
}

// A reader that goes away (`vmcore info x | head -c 100`) is a clean error, not a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  process.stderr.write(`vmcore: cannot write to stdout: ${error.code === 'EPIPE' ? 'Broken pipe' : error.message}\n`);
  process.exit(1);
});

// Loaded here so that a broken installation is one line too, not a module-loader stack trace.
const { run } = await import('./cli.js').catch((error: unknown) => {
  process.stderr.write(`vmcore: cannot load the vmcore packages (run pnpm build): ${(error as Error).message.split('\n')[0]}\n`);
  process.exit(1);
});
const status = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: controller.signal });
process.exitCode = interrupted && status !== 0 ? 130 : status;

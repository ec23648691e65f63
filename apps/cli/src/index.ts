export { run } from './cli.js';
export type { Io } from './context.js';
export { cliRefusalMessage } from './dump-refusals.js';

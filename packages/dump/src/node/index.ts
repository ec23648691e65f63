// @vmcore/dump/node: paths, descriptors, streams and RAM files (Node only).
export { openGuest, openSource } from './open.js';
export type { OpenedSource } from './open.js';
export { dumpGuest } from './dump.js';
export type { DumpFileOptions } from './dump.js';
export { isSeekableOutput, openOutput } from './output.js';
export type { DumpOutput, OpenedOutput, OutputOptions } from './output.js';
export { reassembleFlattened } from './reassemble.js';
export type { ReassembleFlattenedOptions } from './reassemble.js';
export { refuseOverwritingInput } from './same-file.js';
export { openRamDump, ramDumpInputs, resolveMapFiles } from './ram.js';
export type { RamDumpSource } from './ram.js';
export { describeDump } from './describe.js';
export { kernelLogOf } from './kernel.js';

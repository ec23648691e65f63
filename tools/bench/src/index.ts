export { measureCodecs, measurePool, runCodecBench } from './codecs.js';
export type { CodecBenchOptions, CodecRow, PoolRow } from './codecs.js';
export { formatTable, mbPerSecond } from './lib/table.js';
export { binaryPages } from './lib/pages.js';
export { compileNative } from './lib/native.js';

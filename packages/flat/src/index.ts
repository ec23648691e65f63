export { FlattenedSink } from './sink.js';
export { reassemble } from './reassemble.js';
export type { ReassembleOptions, ReassembleResult } from './reassemble.js';
export { FlattenedIndex } from './flat-index.js';
export type { FlattenedIndexOptions } from './flat-index.js';
export type { FlatLimits } from './limits.js';
export { isFlattened, FLAT_HEADER_SIZE, MakedumpfileHeader, MakedumpfileDataHeader } from './format.js';

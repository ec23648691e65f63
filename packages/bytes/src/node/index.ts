export { FileSource } from './file-source.js';
export { FileSink, ioError } from './file-sink.js';
export type { FileSinkOptions } from './file-sink.js';
export { StreamSink } from './stream-sink.js';
export { copyFileRange } from './file-copy.js';
export type { CopyResult } from './file-copy.js';
export { errnoCode, errnoText } from '../errno.js';

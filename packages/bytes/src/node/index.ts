export { FileSource } from './file-source.js';
export { FileSink, ioError } from './file-sink.js';
export type { FileSinkOptions } from './file-sink.js';
export { StreamSink } from './stream-sink.js';
export { errnoCode, errnoText } from '../errno.js';

export { FileSource } from './file-source.js';
export { FileSink, ioError } from './file-sink.js';
export type { FileSinkOptions } from './file-sink.js';
export { StreamSink } from './stream-sink.js';

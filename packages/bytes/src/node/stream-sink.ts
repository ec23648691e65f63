import type { Writable } from 'node:stream';
import type { SequentialSink } from '../io.js';
import { ioError } from './file-sink.js';

/** Appends to a Node stream (stdout, a socket), waiting for 'drain' so memory stays bounded. */
export class StreamSink implements SequentialSink {
  private failure: unknown;

  constructor(
    private readonly stream: Writable,
    readonly name = '<stream>',
  ) {
    stream.on('error', (error) => {
      this.failure ??= error;
    });
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.failure) throw ioError(`cannot write ${this.name}`, this.failure);
    if (this.stream.write(bytes)) return;
    await new Promise<void>((resolve, reject) => {
      const onDrain = () => {
        cleanup();
        resolve();
      };
      const onError = (error: unknown) => {
        cleanup();
        reject(ioError(`cannot write ${this.name}`, error));
      };
      const onClose = () => {
        cleanup();
        reject(ioError(`cannot write ${this.name}`, this.failure ?? Object.assign(new Error('closed'), { code: 'EPIPE' })));
      };
      const cleanup = () => {
        this.stream.off('drain', onDrain);
        this.stream.off('error', onError);
        this.stream.off('close', onClose);
      };
      this.stream.on('drain', onDrain);
      this.stream.on('error', onError);
      this.stream.on('close', onClose);
    });
  }

  async close(): Promise<void> {
    if (this.failure) throw ioError(`cannot write ${this.name}`, this.failure);
    await new Promise<void>((resolve, reject) => {
      this.stream.end((error?: unknown) => (error ? reject(ioError(`cannot finish ${this.name}`, error)) : resolve()));
    });
  }
}

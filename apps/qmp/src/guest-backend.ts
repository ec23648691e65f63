import { stat } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { DUMP_FORMATS, preloadDumpBackends, winDumpAvailable } from '@vmcore/dump';
import { dumpGuest, openGuest } from '@vmcore/dump/node';
import { qemuTargetOf, type GuestMemory } from '@vmcore/guest-mem';
import { DumpFailure, QMP_DUMP_FORMATS, type DumpBackend, type DumpJobRequest, type QmpDumpFormat } from './dump-backend.js';
import { errnoCode, strerror } from './errno-text.js';

/** Forwards to a stream and counts the bytes it accepted, to tell QEMU's header stage from later ones. */
class CountingWritable extends Writable {
  written = 0;

  constructor(private readonly inner: Writable) {
    super({ highWaterMark: 1 << 20 });
    inner.on('error', (error) => this.destroy(error));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.inner.write(chunk, (error) => {
      if (!error) this.written += chunk.length;
      callback(error);
    });
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.inner.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.inner.destroy();
    callback(error);
  }
}

/**
 * QEMU 7.2's message for a write that failed at a given stage. ELF carries the errno text;
 * QEMU 7.2's kdump path reports the stage only (measured: a closed pipe gives
 * "dump: failed to set dump_bitmap" before any page is written).
 */
export function stageMessage(format: QmpDumpFormat, completed: number, error: unknown): string {
  // `completed` is 0 only while nothing but headers has been written.
  const code = errnoCode(error);
  const reason = strerror(code);
  if (reason === undefined) return error instanceof Error ? error.message : String(error);
  if (format === 'elf') {
    return completed === 0 ? `dump: failed to write elf header: ${reason}` : `dump: failed to save memory: ${reason}`;
  }
  if (format.startsWith('kdump')) {
    return completed === 0 ? 'dump: failed to set dump_bitmap' : 'dump: failed to write page data';
  }
  return `dump: failed to write: ${reason}`;
}

/** The real backend: any guest @vmcore/dump can open, written by @vmcore/dump's writers. */
export function guestBackend(
  guest: GuestMemory,
  options: { workers?: number; guestFile?: { dev: number; ino: number } } = {},
): DumpBackend {
  const formats = QMP_DUMP_FORMATS.filter((format) => (DUMP_FORMATS as readonly string[]).includes(format));
  return {
    arch: guest.info.arch,
    qemuTarget: qemuTargetOf(guest.info),
    blocks: guest.blocks.map((block) => ({ start: block.start, size: block.size })),
    guestNote: guest.guestNote,
    hasWinDumpHeader: winDumpAvailable(guest),
    ...(options.guestFile ? { guestFile: options.guestFile } : {}),
    formats,
    async dump(request: DumpJobRequest): Promise<void> {
      let completed = 0;
      const counting = request.destination.kind === 'stream' ? new CountingWritable(request.destination.stream) : undefined;
      const output = request.destination.kind === 'seekable' ? { fd: request.destination.fd } : counting!;
      try {
        await dumpGuest(guest, request.format, output, {
          paging: request.paging,
          ...(request.filter ? { filter: request.filter } : {}),
          mode: 0o400,
          ...(options.workers !== undefined ? { workers: options.workers } : {}),
          onProgress: (done) => {
            completed = done;
            request.onProgress(done);
          },
          signal: request.signal,
        });
      } catch (error) {
        // A stream buffers writes, so guest progress runs ahead of what the reader accepted:
        // there, only bytes the descriptor took tell whether the header got out.
        const progress = counting ? counting.written : completed;
        throw new DumpFailure(stageMessage(request.format, progress, error), { cause: error });
      }
    },
    close: () => guest.close(),
  };
}

/**
 * Opens a dump file (ELF, kdump, flattened kdump) as the served guest; `qemuTarget` names the
 * QEMU binary it stands in for (a dump file does not say; default: the architecture's usual one).
 */
export async function openGuestBackend(path: string, options: { workers?: number; qemuTarget?: string } = {}): Promise<DumpBackend> {
  const { dev, ino } = await stat(path);
  const { qemuTarget, ...rest } = options;
  // Before serving: a detached dump must not load modules on the monitor's event loop.
  await preloadDumpBackends();
  return guestBackend(await openGuest(path, qemuTarget === undefined ? {} : { qemuTarget }), { ...rest, guestFile: { dev, ino } });
}

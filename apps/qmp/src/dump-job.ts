import { constants as fsConstants } from 'node:fs';
import { createWriteStream, fstat, open } from 'node:fs';
import type { Writable } from 'node:stream';
import { Socket } from 'node:net';
import { promisify } from 'node:util';
import { bytesInRange, DumpFailure, type DumpBackend, type DumpDestination, type QmpDumpFormat } from './dump-backend.js';
import { errnoCode, strerror } from './errno-text.js';
import { QErr, QmpError } from './protocol/errors.js';
import type { VmState } from './vm-state.js';

export type DumpStatus = 'none' | 'active' | 'completed' | 'failed';

export interface DumpArgs {
  readonly paging: boolean;
  readonly protocol: string;
  readonly detach?: boolean;
  readonly begin?: number | bigint;
  readonly length?: number | bigint;
  readonly format?: QmpDumpFormat;
}

/** Hooks into the monitor: descriptor lookup for `fd:` and the DUMP_COMPLETED event. */
export interface DumpEnvironment {
  readonly vm: VmState;
  readonly backend: DumpBackend;
  closeFd(fd: number): void;
  emitDumpCompleted(data: { result: DumpResultWire; error?: string }): void;
}

export interface DumpResultWire {
  total: number;
  status: DumpStatus;
  completed: number;
}

const openAsync = promisify(open);
const fstatAsync = promisify(fstat);

/** Negative lengths wrap in QEMU 7.2 (begin + length overflows), i.e. "to the end". */
function clampFilter(begin: number | bigint, length: number | bigint, ramEnd: number): { begin: number; length: number } {
  const b = Number(begin);
  const l = Number(length);
  const end = l < 0 ? ramEnd : Math.min(ramEnd, b + l);
  return { begin: b, length: Math.max(0, end - b) };
}

/**
 * QEMU's dump state and qmp_dump_guest_memory(): argument checks in QEMU's order and texts,
 * the VM paused for the dump and resumed after, one dump at a time, progress for query-dump.
 */
export class DumpJob {
  status: DumpStatus = 'none';
  completed = 0;
  total = 0;
  private running?: Promise<void>;
  private readonly abort = new AbortController();

  constructor(private readonly env: DumpEnvironment) {}

  get active(): boolean {
    return this.status === 'active';
  }

  query(): DumpResultWire {
    return { total: this.total, status: this.status, completed: this.completed };
  }

  /** Resolves when the current dump (if any) has finished. */
  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /** Stops a running dump (server shutdown). */
  cancel(): void {
    this.abort.abort();
  }

  /** `takeFd` removes and returns the requesting session's descriptor (QEMU's monitor_get_fd). */
  async start(args: DumpArgs, takeFd: (name: string) => number | undefined): Promise<void> {
    if (this.active) throw QErr.dumpInProgress();
    const backend = this.env.backend;
    const format = args.format ?? 'elf';
    const hasBegin = args.begin !== undefined;
    const hasLength = args.length !== undefined;
    if (format === 'win-dmp' && backend.arch !== 'x86_64') {
      throw QmpError.generic('Windows dump is only available for x86-64');
    }
    if (format !== 'elf' && (args.paging || hasBegin || hasLength)) {
      throw QmpError.generic("kdump-compressed format doesn't support paging or filter");
    }
    if (hasBegin && !hasLength) throw QErr.missingParameter('length');
    if (!hasBegin && hasLength) throw QErr.missingParameter('begin');
    if (!backend.formats.includes(format)) throw QmpError.generic(`${format} is not available now`);

    const destination = await this.openProtocol(args.protocol, format, takeFd);

    // dump_init(): the VM stops first; the remaining checks fail with STOP/RESUME around them.
    const resume = this.env.vm.running;
    this.env.vm.stop('save-vm');
    let filter: { begin: number; length: number } | undefined;
    try {
      if (hasBegin && hasLength) {
        if (Number(args.length) === 0) throw QErr.invalidParameter('length');
        if (Number(args.begin) < 0) throw QErr.invalidParameter('begin');
        const ramEnd = Math.max(0, ...backend.blocks.map((b) => b.start + b.size));
        filter = clampFilter(args.begin!, args.length!, ramEnd);
      }
      const total = bytesInRange(backend.blocks, filter);
      if (total === 0) throw QmpError.generic('dump: no guest memory to dump');
      this.total = total;
    } catch (error) {
      this.status = 'failed';
      this.total = 0;
      this.completed = 0;
      this.release(destination.release);
      if (resume) this.env.vm.start();
      throw error;
    }

    this.status = 'active';
    this.completed = 0;
    const run = this.run(format, args.paging, filter, destination, resume);
    this.running = run.then(() => undefined, () => undefined);
    if (args.detach) return;
    await run;
  }

  private release(release: () => void): void {
    try {
      release();
    } catch {
      /* already closed */
    }
  }

  private async run(
    format: QmpDumpFormat,
    paging: boolean,
    filter: { begin: number; length: number } | undefined,
    opened: OpenedProtocol,
    resume: boolean,
  ): Promise<void> {
    let failure: string | undefined;
    try {
      await this.env.backend.dump({
        format,
        paging,
        ...(filter ? { filter } : {}),
        destination: opened.destination,
        onProgress: (completed) => {
          this.completed = Math.min(this.total, completed);
        },
        signal: this.abort.signal,
      });
    } catch (error) {
      failure = error instanceof DumpFailure || error instanceof Error ? error.message : String(error);
    }
    this.release(opened.release);
    if (failure === undefined) {
      this.completed = this.total;
      this.status = 'completed';
      this.env.emitDumpCompleted({ result: this.query() });
    } else {
      this.status = 'failed';
      this.env.emitDumpCompleted({ result: this.query(), error: failure });
    }
    if (resume) this.env.vm.start();
    if (failure !== undefined) throw QmpError.generic(failure);
  }

  /** `file:PATH` (created 0400, truncated) or `fd:NAME`; anything else is QEMU's invalid protocol. */
  private async openProtocol(protocol: string, format: QmpDumpFormat, takeFd: (name: string) => number | undefined): Promise<OpenedProtocol> {
    let fd: number;
    if (protocol.startsWith('fd:')) {
      const name = protocol.slice(3);
      const found = takeFd(name);
      if (found === undefined) throw QmpError.generic(`File descriptor named '${name}' has not been found`);
      fd = found;
    } else if (protocol.startsWith('file:')) {
      const path = protocol.slice(5);
      try {
        fd = await openAsync(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC, 0o400);
      } catch (error) {
        const code = errnoCode(error);
        throw QmpError.generic(`Could not open '${path}': ${strerror(code) ?? (error as Error).message}`);
      }
    } else {
      throw QErr.invalidParameter('protocol');
    }
    let seekable = false;
    let socketLike = false;
    try {
      const info = await fstatAsync(fd);
      seekable = info.isFile() || info.isBlockDevice();
      socketLike = info.isFIFO() || info.isSocket();
    } catch {
      seekable = false;
    }
    if (format.startsWith('kdump-raw-') && !seekable) {
      this.env.closeFd(fd);
      throw QmpError.generic('kdump-raw formats require a seekable file');
    }
    if (seekable) {
      return { destination: { kind: 'seekable', fd }, release: () => this.env.closeFd(fd) };
    }
    // A pipe or socket: libuv's stream copes with non-blocking descriptors and EAGAIN. Other
    // descriptors (character devices such as /dev/full) get plain sequential writes. Either
    // stream owns (and closes) the descriptor from here on.
    const stream: Writable = socketLike
      ? new Socket({ fd, readable: false, writable: true })
      : createWriteStream('', { fd, autoClose: true });
    stream.on('error', () => undefined);
    return { destination: { kind: 'stream', stream }, release: () => stream.destroy() };
  }
}

interface OpenedProtocol {
  readonly destination: DumpDestination;
  readonly release: () => void;
}

export { DumpFailure };

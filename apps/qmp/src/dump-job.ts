import { constants as fsConstants } from 'node:fs';
import { createWriteStream, fstat, open } from 'node:fs';
import type { Writable } from 'node:stream';
import { Socket } from 'node:net';
import { promisify } from 'node:util';
import { DumpRefusal, planDump, type DumpPlan, type DumpRequest } from '@vmcore/dump';
import { DumpFailure, type DumpBackend, type DumpDestination, type QmpDumpFormat } from './dump-backend.js';
import { qmpRefusal } from './dump-refusals.js';
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

/** planDump's plan, or its refusal as a value (the stage decides when QMP reports it). */
function tryPlan(request: DumpRequest): DumpPlan | DumpRefusal {
  try {
    return planDump(request);
  } catch (error) {
    if (error instanceof DumpRefusal) return error;
    throw error;
  }
}

const openAsync = promisify(open);
const fstatAsync = promisify(fstat);

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

  /**
   * `takeFd` removes and returns the requesting session's descriptor (QEMU's monitor_get_fd).
   * @vmcore/dump's planDump makes every check; its refusal's stage says where QEMU 7.2 reports it.
   */
  async start(args: DumpArgs, takeFd: (name: string) => number | undefined): Promise<void> {
    if (this.active) throw QErr.dumpInProgress();
    const backend = this.env.backend;
    const format = args.format ?? 'elf';
    const request: DumpRequest = {
      format,
      paging: args.paging,
      ...(args.begin !== undefined ? { begin: args.begin } : {}),
      ...(args.length !== undefined ? { length: args.length } : {}),
      guest: { arch: backend.arch, blocks: backend.blocks, guestNote: backend.guestNote },
      available: backend.formats,
    };
    // qmp_dump_guest_memory(): argument checks before the output is opened.
    const early = tryPlan(request);
    if (early instanceof DumpRefusal && early.stage === 'arguments') throw qmpRefusal(early);

    const opened = await this.openProtocol(args.protocol, takeFd);
    const verdict = tryPlan({ ...request, output: { seekable: opened.seekable } });
    if (verdict instanceof DumpRefusal && verdict.stage === 'output') {
      this.release(opened.release);
      throw qmpRefusal(verdict);
    }

    // dump_init(): the VM stops first; its checks fail with STOP/RESUME around them.
    const resume = this.env.vm.running;
    this.env.vm.stop('save-vm');
    if (verdict instanceof DumpRefusal && verdict.stage === 'init') {
      this.status = 'failed';
      this.total = 0;
      this.completed = 0;
      this.release(opened.release);
      if (resume) this.env.vm.start();
      throw qmpRefusal(verdict);
    }

    this.status = 'active';
    this.completed = 0;
    // dump_process(): a refusal here (win-dmp's header) ends the dump with DUMP_COMPLETED.
    const refused = verdict instanceof DumpRefusal ? verdict : undefined;
    this.total = refused ? (refused.total ?? 0) : (verdict as DumpPlan).total;
    const filter = refused ? undefined : (verdict as DumpPlan).filter;
    const run = this.run(format, args.paging, filter, opened, resume, refused ? qmpRefusal(refused).desc : undefined);
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
    refused?: string,
  ): Promise<void> {
    let failure: string | undefined;
    try {
      if (refused !== undefined) throw new DumpFailure(refused);
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
  private async openProtocol(protocol: string, takeFd: (name: string) => number | undefined): Promise<OpenedProtocol> {
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
    if (seekable) {
      return { destination: { kind: 'seekable', fd }, seekable, release: () => this.env.closeFd(fd) };
    }
    // A pipe or socket: libuv's stream copes with non-blocking descriptors and EAGAIN. Other
    // descriptors (character devices such as /dev/full) get plain sequential writes. Either
    // stream owns (and closes) the descriptor from here on.
    const stream: Writable = socketLike
      ? new Socket({ fd, readable: false, writable: true })
      : createWriteStream('', { fd, autoClose: true });
    stream.on('error', () => undefined);
    return { destination: { kind: 'stream', stream }, seekable, release: () => stream.destroy() };
  }
}

interface OpenedProtocol {
  readonly destination: DumpDestination;
  /** Positioned writes work (a regular file or block device): raw kdump needs them. */
  readonly seekable: boolean;
  readonly release: () => void;
}

export { DumpFailure };

import { bytesInRange, DumpFailure, type DumpBackend, type QmpDumpFormat } from './dump-backend.js';
import { openDestination, type OpenedDestination } from './dump-destination.js';
import type { FdSets } from './fdsets.js';
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
  /** Formats accepted (the backend's, or fewer under --compat qemu-7.2). */
  readonly formats: readonly string[];
  readonly fdsets: FdSets;
  closeFd(fd: number): void;
  emitDumpCompleted(data: { result: DumpResultWire; error?: string }): void;
}

export interface DumpResultWire {
  total: number;
  status: DumpStatus;
  completed: number;
}

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
  private cancelReason?: string;
  /** Set the moment a dump-guest-memory is accepted, before any await: dumps are exclusive. */
  private busy = false;

  constructor(private readonly env: DumpEnvironment) {}

  get active(): boolean {
    return this.busy || this.status === 'active';
  }

  query(): DumpResultWire {
    return { total: this.total, status: this.status, completed: this.completed };
  }

  /** Resolves when the current dump (if any) has finished. */
  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /** Stops a running dump (quit, server shutdown); its DUMP_COMPLETED reports `reason`. */
  cancel(reason: string): void {
    this.cancelReason ??= reason;
    this.abort.abort();
  }

  /** `takeFd` removes and returns the requesting session's descriptor (QEMU's monitor_get_fd). */
  async start(args: DumpArgs, takeFd: (name: string) => number | undefined): Promise<void> {
    if (this.active) throw QErr.dumpInProgress();
    this.busy = true;
    let accepted: { run: Promise<void> };
    try {
      accepted = await this.accept(args, takeFd);
    } finally {
      this.busy = false;
    }
    if (args.detach) return;
    await accepted.run;
  }

  /** The checks and the opening, with the job reserved; resolves to the running dump. */
  private async accept(args: DumpArgs, takeFd: (name: string) => number | undefined): Promise<{ run: Promise<void> }> {
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
    if (!this.env.formats.includes(format)) throw QmpError.generic(`${format} is not available now`);

    const destination = await openDestination(args.protocol, format, {
      takeFd,
      fdsets: this.env.fdsets,
      closeFd: (fd) => this.env.closeFd(fd),
      ...(backend.guestFile ? { guestFile: backend.guestFile } : {}),
    });

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
    return { run };
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
    opened: OpenedDestination,
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
      failure = this.abort.signal.aborted && this.cancelReason !== undefined ? this.cancelReason : error instanceof Error ? error.message : String(error);
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
}

export { DumpFailure };

import { DumpRefusal, planDump, type DumpPlan, type DumpRequest } from '@vmcore/dump';
import { DumpFailure, type DumpBackend, type QmpDumpFormat } from './dump-backend.js';
import { openDestination, type OpenedDestination } from './dump-destination.js';
import { qmpRefusal } from './dump-refusals.js';
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

/** planDump's plan, or its refusal as a value (the stage decides when QMP reports it). */
function tryPlan(request: DumpRequest): DumpPlan | DumpRefusal {
  try {
    return planDump(request);
  } catch (error) {
    if (error instanceof DumpRefusal) return error;
    throw error;
  }
}

/**
 * QEMU's dump state and qmp_dump_guest_memory(): @vmcore/dump's planDump makes every check, and
 * its refusal's stage says where QEMU 7.2 reports it (dump-refusals.ts has QEMU's texts);
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
    const request: DumpRequest = {
      format,
      paging: args.paging,
      ...(args.begin !== undefined ? { begin: args.begin } : {}),
      ...(args.length !== undefined ? { length: args.length } : {}),
      guest: { arch: backend.arch, qemuTarget: backend.qemuTarget, blocks: backend.blocks, guestNote: backend.guestNote },
      available: this.env.formats,
    };
    // qmp_dump_guest_memory(): the argument checks come before the output is opened.
    const early = tryPlan(request);
    if (early instanceof DumpRefusal && early.stage === 'arguments') throw qmpRefusal(early);

    const destination = await openDestination(args.protocol, {
      takeFd,
      fdsets: this.env.fdsets,
      closeFd: (fd) => this.env.closeFd(fd),
      ...(backend.guestFile ? { guestFile: backend.guestFile } : {}),
    });
    const verdict = tryPlan({ ...request, output: { seekable: destination.seekable } });
    if (verdict instanceof DumpRefusal && verdict.stage === 'output') {
      this.release(destination.release);
      throw qmpRefusal(verdict);
    }

    // dump_init(): the VM stops first; its checks fail with STOP/RESUME around them.
    const resume = this.env.vm.running;
    this.env.vm.stop('save-vm');
    if (verdict instanceof DumpRefusal && verdict.stage === 'init') {
      this.status = 'failed';
      this.total = 0;
      this.completed = 0;
      this.release(destination.release);
      if (resume) this.env.vm.start();
      throw qmpRefusal(verdict);
    }

    // dump_process(): a refusal here (win-dmp's header) ends the dump with DUMP_COMPLETED.
    const refused = verdict instanceof DumpRefusal ? verdict : undefined;
    this.total = refused ? (refused.total ?? 0) : (verdict as DumpPlan).total;
    const filter = refused ? undefined : (verdict as DumpPlan).filter;
    this.status = 'active';
    this.completed = 0;
    const run = this.run(format, args.paging, filter, destination, resume, refused ? qmpRefusal(refused).desc : undefined);
    this.running = run.then(
      () => undefined,
      () => undefined,
    );
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
      failure =
        this.abort.signal.aborted && this.cancelReason !== undefined
          ? this.cancelReason
          : error instanceof Error
            ? error.message
            : String(error);
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

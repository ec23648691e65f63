import { closeSync } from 'node:fs';
import { createCommands } from './commands.js';
import { QMP_DUMP_FORMATS, type DumpBackend } from './dump-backend.js';
import { DumpJob, type DumpArgs } from './dump-job.js';
import type { CommandDefinition, QmpHost, QmpSession } from './protocol/session.js';
import { VmState } from './vm-state.js';
import type { WireValue } from './wire/qobject.js';

export interface VersionInfo {
  readonly major: number;
  readonly minor: number;
  readonly micro: number;
  readonly package: string;
}

export interface MonitorOptions {
  readonly backend: DumpBackend;
  /** Reported in the greeting and query-version (default 7.2.0, the QEMU whose behaviour we follow). */
  readonly version?: VersionInfo;
  /** Start paused, like `qemu -S`. */
  readonly paused?: boolean;
  /** Called after `quit` has been answered. */
  readonly onQuit?: () => void;
  /** Wall clock in milliseconds (fractional for microseconds). */
  readonly now?: () => number;
}

const DEFAULT_VERSION: VersionInfo = { major: 7, minor: 2, micro: 0, package: 'vmcore-qmp' };

/**
 * The state every connection shares, as QEMU's: one VM run state, one dump job, named
 * descriptors per session, events broadcast to every negotiated session.
 */
export class QmpMonitor implements QmpHost {
  readonly vm: VmState;
  readonly job: DumpJob;
  readonly sessions = new Set<QmpSession>();
  private readonly commands: Map<string, CommandDefinition>;
  private readonly version: VersionInfo;
  private quitting = false;

  constructor(private readonly options: MonitorOptions) {
    this.version = options.version ?? DEFAULT_VERSION;
    this.vm = new VmState(options.paused ? 'paused' : 'running', (event) => this.emitEvent(event));
    this.job = new DumpJob({
      vm: this.vm,
      backend: options.backend,
      closeFd: (fd) => this.closeFd(fd),
      emitDumpCompleted: (data) => this.emitEvent('DUMP_COMPLETED', data as unknown as WireValue),
    });
    this.commands = new Map(createCommands(this).map((command) => [command.name, command]));
  }

  get greeting(): WireValue {
    return { QMP: { version: this.versionInfo(), capabilities: ['oob'] } };
  }

  versionInfo(): WireValue {
    const v = this.version;
    return { qemu: { micro: v.micro, minor: v.minor, major: v.major }, package: v.package };
  }

  findCommand(name: string): CommandDefinition | undefined {
    return this.commands.get(name);
  }

  commandNames(): string[] {
    return [...this.commands.keys()];
  }

  capabilityFormats(): string[] {
    const backend = this.options.backend;
    return QMP_DUMP_FORMATS.filter((format) => backend.formats.includes(format) && (format !== 'win-dmp' || backend.hasWinDumpHeader));
  }

  addSession(session: QmpSession): void {
    this.sessions.add(session);
  }

  sessionClosed(session: QmpSession): void {
    this.sessions.delete(session);
  }

  closeFd(fd: number): void {
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
  }

  /** `{"timestamp": {...}, "event": NAME, "data": ...}` to every negotiated session. */
  emitEvent(event: string, data?: WireValue): void {
    const nowMs = (this.options.now ?? (() => performance.timeOrigin + performance.now()))();
    const message: Record<string, WireValue> = {
      timestamp: { seconds: Math.floor(nowMs / 1000), microseconds: Math.floor((nowMs % 1000) * 1000) },
      event,
    };
    if (data !== undefined) message.data = data;
    for (const session of this.sessions) if (session.negotiated) session.send(message);
  }

  async dump(session: QmpSession, args: DumpArgs): Promise<void> {
    const job = new DumpJobProxy(this.job, session);
    await job.start(args);
  }

  requestQuit(): void {
    if (this.quitting) return;
    this.quitting = true;
    this.vm.shutdown();
    this.emitEvent('SHUTDOWN', { guest: false, reason: 'host-qmp-quit' });
    // The reply to quit is sent after this handler returns; close everything after that.
    setImmediate(() => {
      this.job.cancel();
      for (const session of [...this.sessions]) session.close();
      this.options.onQuit?.();
    });
  }

  async close(): Promise<void> {
    this.job.cancel();
    for (const session of [...this.sessions]) session.close();
    await this.job.settled();
    await this.options.backend.close();
  }
}

/** Routes `fd:NAME` lookups of one dump request to the session that issued it. */
class DumpJobProxy {
  constructor(
    private readonly job: DumpJob,
    private readonly session: QmpSession,
  ) {}

  start(args: DumpArgs): Promise<void> {
    return this.job.start(args, (name) => {
      const fd = this.session.fds.get(name);
      if (fd !== undefined) this.session.fds.delete(name);
      return fd;
    });
  }
}

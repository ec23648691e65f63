import { closeSync } from 'node:fs';
import { winDumpSupported } from '@vmcore/dump';
import { registerCommands } from './commands.js';
import { QMP_DUMP_FORMATS, type DumpBackend } from './dump-backend.js';
import { DumpJob, type DumpArgs } from './dump-job.js';
import { FdSets } from './fdsets.js';
import { scmRights } from './fd-passing.js';
import { QAPI_SCHEMAS } from './generated/qapi-schema.js';
import { CommandRegistry, type CommandSession, type RegisteredCommand } from './protocol/registry.js';
import type { QmpHost, QmpSession } from './protocol/session.js';
import { VmState } from './vm-state.js';
import type { WireValue } from './wire/qobject.js';

export interface VersionInfo {
  readonly major: number;
  readonly minor: number;
  readonly micro: number;
  readonly package: string;
}

/** 'qemu-7.2': capability list, formats and schema exactly QEMU 7.2's. */
export type CompatMode = 'default' | 'qemu-7.2';

/** QEMU 7.2's query-dump-guest-memory-capability (built without lzo and snappy). */
const QEMU_7_2_FORMATS = ['elf', 'kdump-zlib', 'win-dmp'] as const;

export interface MonitorOptions {
  readonly backend: DumpBackend;
  /** Reported in the greeting and query-version (default 7.2.0, the QEMU whose behaviour we follow). */
  readonly version?: VersionInfo;
  /** Start paused, like `qemu -S` (run state 'prelaunch'). */
  readonly paused?: boolean;
  readonly compat?: CompatMode;
  /** Called after `quit` has been answered. */
  readonly onQuit?: () => void;
  /** Wall clock in milliseconds (fractional for microseconds). */
  readonly now?: () => number;
}

const DEFAULT_VERSION: VersionInfo = { major: 7, minor: 2, micro: 0, package: 'vmcore-qmp' };

/** How long `quit` waits for a running dump to end (and its DUMP_COMPLETED to go out). */
const QUIT_DUMP_GRACE_MS = 5000;

/**
 * The state every connection shares, as QEMU's: one VM run state, one dump job, fd sets, named
 * descriptors per session, events broadcast to every negotiated session.
 */
export class QmpMonitor implements QmpHost {
  readonly vm: VmState;
  readonly job: DumpJob;
  readonly fdsets: FdSets;
  readonly sessions = new Set<QmpSession>();
  readonly compat: CompatMode;
  private readonly registry: CommandRegistry;
  private readonly version: VersionInfo;
  private quitting = false;

  constructor(private readonly options: MonitorOptions) {
    this.version = options.version ?? DEFAULT_VERSION;
    this.compat = options.compat ?? 'default';
    this.vm = new VmState(options.paused ? 'prelaunch' : 'running', (event) => this.emitEvent(event));
    this.fdsets = new FdSets({
      closeFd: (fd) => this.closeFd(fd),
      dup: (fd) => {
        const native = scmRights();
        if (!native) throw new Error('descriptor passing is not available (native addon missing)');
        return native.dup(fd);
      },
      isRunning: () => this.vm.running,
      openMonitors: () => this.sessions.size,
    });
    this.job = new DumpJob({
      vm: this.vm,
      backend: options.backend,
      formats: this.dumpFormats(),
      closeFd: (fd) => this.closeFd(fd),
      fdsets: this.fdsets,
      emitDumpCompleted: (data) => this.emitEvent('DUMP_COMPLETED', data as unknown as WireValue),
    });
    this.registry = new CommandRegistry(QAPI_SCHEMAS[this.compat]);
    registerCommands(this.registry, {
      vm: this.vm,
      fdsets: this.fdsets,
      dumpInProgress: () => this.job.active,
      dump: (session, args) => this.dump(session, args),
      queryDump: () => ({ ...this.job.query() }),
      capabilityFormats: () => this.capabilityFormats(),
      versionInfo: () => this.versionInfo(),
      commandNames: () => this.registry.names(),
      schemaInfo: () => QAPI_SCHEMAS[this.compat].info,
      requestQuit: () => this.requestQuit(),
      closeFd: (fd) => this.closeFd(fd),
    });
    this.registry.assertComplete();
  }

  get greeting(): WireValue {
    return { QMP: { version: this.versionInfo(), capabilities: ['oob'] } };
  }

  versionInfo(): WireValue {
    const v = this.version;
    return { qemu: { major: v.major, minor: v.minor, micro: v.micro }, package: v.package };
  }

  findCommand(name: string): RegisteredCommand | undefined {
    return this.registry.find(name);
  }

  commandNames(): string[] {
    return this.registry.names();
  }

  /** Formats dump-guest-memory accepts: the backend's, or under --compat qemu-7.2 QEMU 7.2's. */
  private dumpFormats(): readonly string[] {
    const backend = this.options.backend;
    if (this.compat === 'qemu-7.2') return QEMU_7_2_FORMATS.filter((format) => backend.formats.includes(format));
    return backend.formats;
  }

  capabilityFormats(): string[] {
    const backend = this.options.backend;
    // qemu-system-x86_64 7.2 always lists win-dmp; every other target's binary (qemu-system-i386 too) never does
    if (this.compat === 'qemu-7.2') return QEMU_7_2_FORMATS.filter((format) => format !== 'win-dmp' || winDumpSupported(backend));
    return QMP_DUMP_FORMATS.filter((format) => backend.formats.includes(format) && (format !== 'win-dmp' || backend.hasWinDumpHeader));
  }

  addSession(session: QmpSession): void {
    this.sessions.add(session);
  }

  sessionClosed(session: QmpSession): void {
    if (this.sessions.delete(session)) this.fdsets.cleanupAll();
  }

  closeFd(fd: number): void {
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
  }

  /** `{"event": NAME, "timestamp": {...}, "data": ...}` to every negotiated session. */
  emitEvent(event: string, data?: WireValue): void {
    const nowMs = (this.options.now ?? (() => performance.timeOrigin + performance.now()))();
    const message: Record<string, WireValue> = {
      event,
      timestamp: { seconds: Math.floor(nowMs / 1000), microseconds: Math.floor((nowMs % 1000) * 1000) },
    };
    if (data !== undefined) message.data = data;
    for (const session of this.sessions) if (session.negotiated) session.send(message);
  }

  /** `fd:NAME` lookups go to the session that issued the request (QEMU's monitor_get_fd). */
  async dump(session: CommandSession, args: DumpArgs): Promise<void> {
    await this.job.start(args, (name) => {
      const fd = session.fds.get(name);
      if (fd !== undefined) session.fds.delete(name);
      return fd;
    });
  }

  requestQuit(): void {
    if (this.quitting) return;
    this.quitting = true;
    this.vm.shutdown();
    this.emitEvent('SHUTDOWN', { guest: false, reason: 'host-qmp-quit' });
    // The reply to quit is sent after this handler returns. A running dump is cancelled and its
    // DUMP_COMPLETED (and a waiting client's reply) goes out before the connections close.
    setImmediate(() => {
      this.job.cancel('dump: cancelled, the server is quitting');
      const grace = new Promise<void>((resolve) => setTimeout(resolve, QUIT_DUMP_GRACE_MS).unref());
      const drained = this.job.settled().then(() => Promise.all([...this.sessions].map((session) => session.idle())));
      void Promise.race([drained, grace]).then(() => {
        for (const session of [...this.sessions]) session.close();
        this.options.onQuit?.();
      });
    });
  }

  async close(): Promise<void> {
    this.job.cancel('dump: cancelled, the server is shutting down');
    for (const session of [...this.sessions]) session.close();
    await this.job.settled();
    this.fdsets.closeAll();
    await this.options.backend.close();
  }
}

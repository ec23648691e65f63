import type { DumpArgs } from './dump-job.js';
import type { FdSets } from './fdsets.js';
import { QErr, QmpError, QmpErrorClass } from './protocol/errors.js';
import type { CommandHost } from './protocol/registry.js';
import type { QmpSession } from './protocol/session.js';
import type { VmState } from './vm-state.js';
import type { WireValue } from './wire/qobject.js';

/** What the commands need from the monitor, and nothing more (no concrete monitor class). */
export interface CommandDeps {
  readonly vm: VmState;
  readonly fdsets: FdSets;
  dumpInProgress(): boolean;
  dump(session: QmpSession, args: DumpArgs): Promise<void>;
  queryDump(): WireValue;
  capabilityFormats(): string[];
  versionInfo(): WireValue;
  commandNames(): string[];
  schemaInfo(): readonly WireValue[];
  requestQuit(): void;
  closeFd(fd: number): void;
}

/** Registers the handlers of every command in the QAPI schema (apps/qmp/qapi/). */
export function registerCommands(host: CommandHost, deps: CommandDeps): void {
  host.onCommand(
    'qmp_capabilities',
    ({ session }, args) => {
      if (session.negotiated) {
        throw new QmpError(QmpErrorClass.CommandNotFound, 'Capabilities negotiation is already complete, command ignored');
      }
      session.negotiated = true;
      session.oobEnabled = ((args.enable as string[] | undefined) ?? []).includes('oob');
      return {};
    },
    { preNegotiation: true },
  );
  host.onCommand('query-commands', () => deps.commandNames().map((name) => ({ name })));
  host.onCommand('query-version', () => deps.versionInfo());
  // StatusInfo's members in QAPI order (the output visitor's insertion order).
  host.onCommand('query-status', () => ({ running: deps.vm.running, singlestep: false, status: deps.vm.status }));
  host.onCommand('query-qmp-schema', () => [...deps.schemaInfo()]);
  host.onCommand('stop', () => {
    if (deps.dumpInProgress()) throw QErr.dumpInProgress();
    deps.vm.stop('paused');
    return {};
  });
  host.onCommand('cont', () => {
    if (deps.dumpInProgress()) throw QErr.dumpInProgress();
    deps.vm.start();
    return {};
  });
  host.onCommand('quit', () => {
    deps.requestQuit();
    return {};
  });
  host.onCommand('getfd', ({ session }, args) => {
    const fd = session.transport.takeReceivedFd?.();
    if (fd === undefined) throw QmpError.generic('No file descriptor supplied via SCM_RIGHTS');
    const name = args.fdname as string;
    if (/^[0-9]/.test(name)) {
      deps.closeFd(fd);
      throw QErr.invalidParameterValue('fdname', 'a name not starting with a digit');
    }
    const previous = session.fds.get(name);
    if (previous !== undefined) deps.closeFd(previous);
    session.fds.set(name, fd);
    return {};
  });
  host.onCommand('closefd', ({ session }, args) => {
    const name = args.fdname as string;
    const fd = session.fds.get(name);
    if (fd === undefined) throw QmpError.generic(`File descriptor named '${name}' not found`);
    session.fds.delete(name);
    deps.closeFd(fd);
    return {};
  });
  host.onCommand('add-fd', ({ session }, args) => {
    const fd = session.transport.takeReceivedFd?.();
    if (fd === undefined) throw QmpError.generic('No file descriptor supplied via SCM_RIGHTS');
    const info = deps.fdsets.add(fd, args['fdset-id'] as number | bigint | undefined, args.opaque as string | undefined);
    return { 'fdset-id': info.fdsetId, fd: info.fd };
  });
  host.onCommand('remove-fd', (_context, args) => {
    deps.fdsets.remove(args['fdset-id'] as number | bigint, args.fd as number | bigint | undefined);
    return {};
  });
  host.onCommand('query-fdsets', () => deps.fdsets.query());
  host.onCommand('dump-guest-memory', async ({ session }, args) => {
    await deps.dump(session, args as unknown as DumpArgs);
    return {};
  });
  host.onCommand('query-dump', () => deps.queryDump());
  host.onCommand('query-dump-guest-memory-capability', () => ({ formats: deps.capabilityFormats() }));
}

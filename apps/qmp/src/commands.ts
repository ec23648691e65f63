import { QMP_DUMP_FORMATS, type QmpDumpFormat } from './dump-backend.js';
import type { DumpArgs } from './dump-job.js';
import { QErr, QmpError, QmpErrorClass } from './protocol/errors.js';
import type { CommandDefinition } from './protocol/session.js';
import type { QmpMonitor } from './monitor.js';

/** The commands this server implements, with their QAPI argument schemas. */
export function createCommands(monitor: QmpMonitor): CommandDefinition[] {
  return [
    {
      name: 'qmp_capabilities',
      args: [{ name: 'enable', type: { list: { enum: ['oob'] } }, optional: true }],
      preNegotiation: true,
      run({ session }, args) {
        if (session.negotiated) {
          throw new QmpError(QmpErrorClass.CommandNotFound, 'Capabilities negotiation is already complete, command ignored');
        }
        session.negotiated = true;
        session.oobEnabled = ((args.enable as string[] | undefined) ?? []).includes('oob');
        return {};
      },
    },
    {
      name: 'query-commands',
      args: [],
      run: () => monitor.commandNames().map((name) => ({ name })),
    },
    {
      name: 'query-version',
      args: [],
      run: () => monitor.versionInfo(),
    },
    {
      name: 'query-status',
      args: [],
      run: () => ({ status: monitor.vm.status, singlestep: false, running: monitor.vm.running }),
    },
    {
      name: 'stop',
      args: [],
      run() {
        if (monitor.job.active) throw QErr.dumpInProgress();
        monitor.vm.stop('paused');
        return {};
      },
    },
    {
      name: 'cont',
      args: [],
      run() {
        if (monitor.job.active) throw QErr.dumpInProgress();
        monitor.vm.start();
        return {};
      },
    },
    {
      name: 'quit',
      args: [],
      run() {
        monitor.requestQuit();
        return {};
      },
    },
    {
      name: 'getfd',
      args: [{ name: 'fdname', type: 'str' }],
      run({ session }, args) {
        const fd = session.transport.takeReceivedFd?.();
        if (fd === undefined) throw QmpError.generic('No file descriptor supplied via SCM_RIGHTS');
        const name = args.fdname as string;
        if (/^[0-9]/.test(name)) {
          monitor.closeFd(fd);
          throw QErr.invalidParameterValue('fdname', 'a name not starting with a digit');
        }
        const previous = session.fds.get(name);
        if (previous !== undefined) monitor.closeFd(previous);
        session.fds.set(name, fd);
        return {};
      },
    },
    {
      name: 'closefd',
      args: [{ name: 'fdname', type: 'str' }],
      run({ session }, args) {
        const name = args.fdname as string;
        const fd = session.fds.get(name);
        if (fd === undefined) throw QmpError.generic(`File descriptor named '${name}' not found`);
        session.fds.delete(name);
        monitor.closeFd(fd);
        return {};
      },
    },
    {
      name: 'dump-guest-memory',
      args: [
        { name: 'paging', type: 'bool' },
        { name: 'protocol', type: 'str' },
        { name: 'detach', type: 'bool', optional: true },
        { name: 'begin', type: 'int', optional: true },
        { name: 'length', type: 'int', optional: true },
        { name: 'format', type: { enum: QMP_DUMP_FORMATS }, optional: true },
      ],
      async run({ session }, args) {
        await monitor.dump(session, args as unknown as DumpArgs);
        return {};
      },
    },
    {
      name: 'query-dump',
      args: [],
      run: () => ({ ...monitor.job.query() }),
    },
    {
      name: 'query-dump-guest-memory-capability',
      args: [],
      run: () => ({ formats: monitor.capabilityFormats() as QmpDumpFormat[] }),
    },
  ];
}

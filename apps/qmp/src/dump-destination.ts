/**
 * dump-guest-memory's `protocol` argument to a destination: `file:PATH` (created 0400, truncated;
 * `/dev/fdset/N` dups a descriptor from an fd set, as qemu_open does), or `fd:NAME` (a descriptor
 * passed with getfd). Never a file that is the guest being served: that would destroy the source.
 */
import { constants as fsConstants, createWriteStream, fstat, open, stat } from 'node:fs';
import { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { promisify } from 'node:util';
import type { DumpDestination } from './dump-backend.js';
import { errnoCode, strerror } from './errno-text.js';
import { FdsetOpenError, FdSets } from './fdsets.js';
import { QErr, QmpError } from './protocol/errors.js';

const openAsync = promisify(open);
const fstatAsync = promisify(fstat);
const statAsync = promisify(stat);

export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

export interface DestinationEnv {
  /** Removes and returns the requesting session's descriptor (QEMU's monitor_get_fd). */
  takeFd(name: string): number | undefined;
  readonly fdsets: FdSets;
  closeFd(fd: number): void;
  /** The served guest's file, which no dump may write over. */
  readonly guestFile?: FileIdentity;
}

export interface OpenedDestination {
  readonly destination: DumpDestination;
  /** Positioned writes work (a regular file or block device): planDump refuses raw kdump otherwise. */
  readonly seekable: boolean;
  readonly release: () => void;
}

const sameFile = (a: FileIdentity | undefined, b: FileIdentity) => a !== undefined && a.dev === b.dev && a.ino === b.ino;

function refuse(what: string): QmpError {
  return QmpError.generic(`Refusing to write the dump to ${what}: it is the guest file being served`);
}

async function openFile(path: string, env: DestinationEnv): Promise<number> {
  const fail = (code: string | undefined, error?: unknown) =>
    QmpError.generic(`Could not open '${path}': ${strerror(code) ?? (error instanceof Error ? error.message : String(error))}`);
  const fdset = FdSets.parsePath(path);
  if (fdset !== undefined) {
    try {
      const fd = env.fdsets.findForWrite(fdset);
      if (sameFile(env.guestFile, await fstatAsync(fd))) throw refuse(`'${path}'`);
      return env.fdsets.dupForWrite(fdset);
    } catch (error) {
      if (error instanceof FdsetOpenError) throw fail(error.code);
      throw error;
    }
  }
  // Checked before opening: O_TRUNC would destroy the guest before any later check could run.
  const existing = await statAsync(path).catch(() => undefined);
  if (existing && sameFile(env.guestFile, existing)) throw refuse(`'${path}'`);
  try {
    return await openAsync(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC, 0o400);
  } catch (error) {
    throw fail(errnoCode(error), error);
  }
}

export async function openDestination(protocol: string, env: DestinationEnv): Promise<OpenedDestination> {
  let fd: number;
  if (protocol.startsWith('fd:')) {
    const name = protocol.slice(3);
    const found = env.takeFd(name);
    if (found === undefined) throw QmpError.generic(`File descriptor named '${name}' has not been found`);
    fd = found;
    const info = await fstatAsync(fd).catch(() => undefined);
    if (info && sameFile(env.guestFile, info)) {
      env.closeFd(fd);
      throw refuse(`descriptor '${name}'`);
    }
  } else if (protocol.startsWith('file:')) {
    fd = await openFile(protocol.slice(5), env);
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
    return { destination: { kind: 'seekable', fd }, seekable, release: () => env.closeFd(fd) };
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

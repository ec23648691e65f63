#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openGuestBackend } from './guest-backend.js';
import { QmpServer } from './server.js';

const USAGE = `usage: vmcore-qmp [--guest FILE] [--socket PATH] [--tcp 127.0.0.1:PORT] [--paused]
  Serves one guest (an ELF or kdump vmcore) over QMP like QEMU's monitor.
  --guest FILE            guest to serve (default: the sample guest of tools/qemu-guest)
  --socket PATH           listen on a UNIX socket (getfd works here)
  --tcp HOST:PORT         listen on TCP; HOST must be a loopback address
  --paused                start in the prelaunch state (like qemu -S)
  --compat qemu-7.2       capability list, formats and schema exactly QEMU 7.2's
  --qemu-target TARGET    the qemu-system-TARGET to stand in for (default: the guest
                          architecture's usual one; i386 guests: x86_64, which has win-dmp)
  --max-message-bytes N   largest QMP token and message (default 67108864, QEMU's limit)`;

function defaultGuest(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return resolve(here, '../../../tools/qemu-guest/sample/sample-guest.kdump');
}

function parseTcp(value: string): { host: string; port: number } {
  const match = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]|::1):(\d+)$/.exec(value);
  if (!match) throw new Error(`--tcp expects a loopback HOST:PORT such as 127.0.0.1:4444, got '${value}'`);
  const port = Number(match[2]);
  if (port > 65535) throw new Error(`--tcp port ${port} is out of range`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      guest: { type: 'string' },
      socket: { type: 'string' },
      tcp: { type: 'string' },
      paused: { type: 'boolean', default: false },
      compat: { type: 'string' },
      'qemu-target': { type: 'string' },
      'max-message-bytes': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.socket === undefined && values.tcp === undefined) throw new Error('give --socket PATH and/or --tcp 127.0.0.1:PORT');
  const tcp = values.tcp !== undefined ? parseTcp(values.tcp) : undefined;
  const maxMessageBytes = values['max-message-bytes'] !== undefined ? Number(values['max-message-bytes']) : undefined;
  if (maxMessageBytes !== undefined && !(Number.isSafeInteger(maxMessageBytes) && maxMessageBytes >= 1024)) {
    throw new Error(`--max-message-bytes expects an integer of at least 1024, got '${values['max-message-bytes']}'`);
  }
  if (values.compat !== undefined && values.compat !== 'qemu-7.2') throw new Error(`--compat expects qemu-7.2, got '${values.compat}'`);
  const guestPath = values.guest ?? defaultGuest();
  if (!existsSync(guestPath)) throw new Error(`guest file ${guestPath} does not exist (give --guest FILE)`);

  let server: QmpServer | undefined;
  let exiting = false;
  const shutdown = async (code: number) => {
    if (exiting) return;
    exiting = true;
    // A dump that does not stop, or a peer that never reads, must not keep the process alive.
    setTimeout(() => process.exit(code), 3000);
    await server?.close().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(130));
  process.on('SIGTERM', () => void shutdown(143));
  const backend = await openGuestBackend(guestPath, values['qemu-target'] !== undefined ? { qemuTarget: values['qemu-target'] } : {});
  server = await QmpServer.listen({
    backend,
    paused: values.paused,
    ...(values.compat === 'qemu-7.2' ? { compat: 'qemu-7.2' as const } : {}),
    ...(values.socket !== undefined ? { socket: values.socket } : {}),
    ...(tcp ? { tcpPort: tcp.port, tcpHost: tcp.host } : {}),
    ...(maxMessageBytes !== undefined ? { maxMessageBytes } : {}),
    onQuit: () => void shutdown(0),
  });
  const where = [
    values.socket && `unix:${values.socket}`,
    server.tcpAddress && `tcp:${server.tcpAddress.address}:${server.tcpAddress.port}`,
  ]
    .filter(Boolean)
    .join(' ');
  process.stderr.write(`vmcore-qmp: serving ${guestPath} on ${where}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`vmcore-qmp: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

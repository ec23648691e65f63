import { isQDict, type QDict, type QObject } from '../wire/qobject.js';
import { QmpError } from './errors.js';

export interface QmpRequest {
  readonly command: string;
  readonly oob: boolean;
  readonly arguments?: QDict;
  readonly hasId: boolean;
  readonly id?: QObject;
}

/** QEMU's qmp_dispatch_check_obj(): the shape of a request, checked member by member. */
export function checkRequest(value: QObject, allowOob: boolean): QmpRequest {
  if (!isQDict(value)) throw QmpError.generic('QMP input must be a JSON object');
  let execute: string | undefined;
  let execOob: string | undefined;
  for (const [key, member] of value) {
    switch (key) {
      case 'execute':
        if (typeof member !== 'string') throw QmpError.generic("QMP input member 'execute' must be a string");
        execute = member;
        break;
      case 'exec-oob':
        if (!allowOob) throw QmpError.generic("QMP input member 'exec-oob' is unexpected");
        if (typeof member !== 'string') throw QmpError.generic("QMP input member 'exec-oob' must be a string");
        execOob = member;
        break;
      case 'arguments':
        if (!isQDict(member)) throw QmpError.generic("QMP input member 'arguments' must be an object");
        break;
      case 'id':
        break;
      default:
        throw QmpError.generic(`QMP input member '${key}' is unexpected`);
    }
  }
  if (execute !== undefined && execOob !== undefined) {
    throw QmpError.generic("QMP input member 'execute' clashes with 'exec-oob'");
  }
  const command = execute ?? execOob;
  if (command === undefined) throw QmpError.generic("QMP input lacks member 'execute'");
  const args = value.get('arguments');
  return {
    command,
    oob: execOob !== undefined,
    ...(isQDict(args) ? { arguments: args } : {}),
    hasId: value.has('id'),
    ...(value.has('id') ? { id: value.get('id')! } : {}),
  };
}

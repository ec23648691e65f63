import { asInt64, isQDict, type QDict, type QObject } from '../wire/qobject.js';
import { QErr } from './errors.js';

/** A QAPI member type as the QMP input visitor checks it. */
export type ArgType =
  'bool' | 'str' | 'int' | { readonly enum: readonly string[] } | { readonly list: { readonly enum: readonly string[] } };

export interface ArgSpec {
  readonly name: string;
  readonly type: ArgType;
  readonly optional?: boolean;
}

export type ArgValues = Record<string, boolean | string | number | bigint | string[] | undefined>;

function checkEnum(name: string, values: readonly string[], value: QObject): string {
  if (typeof value !== 'string') throw QErr.invalidParameterType(name, 'string');
  if (!values.includes(value)) throw QErr.enumValue(name, value);
  return value;
}

/**
 * QEMU's qobject-input visitor for a command's arguments: members in schema order (first missing
 * or ill-typed member wins), then the first member nobody asked for. Texts are QEMU's.
 */
export function visitArguments(specs: readonly ArgSpec[], args: QDict | undefined): ArgValues {
  const given: QDict = args ?? new Map();
  const out: ArgValues = {};
  for (const spec of specs) {
    if (!given.has(spec.name)) {
      if (spec.optional) continue;
      throw QErr.missingParameter(spec.name);
    }
    const value = given.get(spec.name)!;
    const type = spec.type;
    if (type === 'bool') {
      if (typeof value !== 'boolean') throw QErr.invalidParameterType(spec.name, 'boolean');
      out[spec.name] = value;
    } else if (type === 'str') {
      if (typeof value !== 'string') throw QErr.invalidParameterType(spec.name, 'string');
      out[spec.name] = value;
    } else if (type === 'int') {
      const int = asInt64(value);
      if (int === undefined) throw QErr.invalidParameterType(spec.name, 'integer');
      out[spec.name] = int;
    } else if ('enum' in type) {
      out[spec.name] = checkEnum(spec.name, type.enum, value);
    } else {
      if (!Array.isArray(value)) throw QErr.invalidParameterType(spec.name, 'array');
      // QEMU names list elements 'null' in these messages (its visitor has no name for them).
      out[spec.name] = value.map((item) => checkEnum('null', type.list.enum, item));
    }
  }
  for (const key of given.keys()) {
    if (!specs.some((spec) => spec.name === key)) throw QErr.unexpectedParameter(key);
  }
  return out;
}

export function isArguments(value: QObject | undefined): value is QDict {
  return isQDict(value);
}

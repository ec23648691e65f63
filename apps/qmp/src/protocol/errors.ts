/** QEMU's QapiErrorClass names (qapi/error.json); clients switch on `class`, never on `desc`. */
export const QmpErrorClass = {
  GenericError: 'GenericError',
  CommandNotFound: 'CommandNotFound',
  DeviceNotActive: 'DeviceNotActive',
  DeviceNotFound: 'DeviceNotFound',
  KVMMissingCap: 'KVMMissingCap',
} as const;

export type QmpErrorClass = (typeof QmpErrorClass)[keyof typeof QmpErrorClass];

/** A command failure that serialises itself to QMP's wire form `{"class": ..., "desc": ...}`. */
export class QmpError extends Error {
  override readonly name = 'QmpError';
  constructor(
    readonly errorClass: QmpErrorClass,
    readonly desc: string,
    options?: { cause?: unknown },
  ) {
    super(desc, options);
  }

  static generic(desc: string, options?: { cause?: unknown }): QmpError {
    return new QmpError(QmpErrorClass.GenericError, desc, options);
  }

  toWire(): { class: QmpErrorClass; desc: string } {
    return { class: this.errorClass, desc: this.desc };
  }
}

/** QEMU's qerror.h templates, kept in one place so the texts match everywhere. */
export const QErr = {
  missingParameter: (name: string) => QmpError.generic(`Parameter '${name}' is missing`),
  invalidParameter: (name: string) => QmpError.generic(`Invalid parameter '${name}'`),
  invalidParameterType: (name: string, expected: string) => QmpError.generic(`Invalid parameter type for '${name}', expected: ${expected}`),
  invalidParameterValue: (name: string, expected: string) => QmpError.generic(`Parameter '${name}' expects ${expected}`),
  unexpectedParameter: (name: string) => QmpError.generic(`Parameter '${name}' is unexpected`),
  enumValue: (name: string, value: string) => QmpError.generic(`Parameter '${name}' does not accept value '${value}'`),
  commandNotFound: (name: string) => new QmpError(QmpErrorClass.CommandNotFound, `The command ${name} has not been found`),
  dumpInProgress: () => QmpError.generic('There is a dump in process, please wait.'),
} as const;

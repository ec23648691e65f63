import type { ArgSpec } from './args.js';
import type { WireValue } from '../wire/qobject.js';

/** One compatibility mode's schema, as scripts/gen-qapi.mjs generates it from qapi/*.json. */
export interface GeneratedSchema {
  /** query-qmp-schema's reply: SchemaInfo entries, in QEMU's order and insertion order. */
  readonly info: readonly WireValue[];
  /** Every command the schema defines, with the members its arguments are checked against. */
  readonly commands: readonly { readonly name: string; readonly allowOob: boolean; readonly args: readonly ArgSpec[] }[];
  readonly events: readonly string[];
}

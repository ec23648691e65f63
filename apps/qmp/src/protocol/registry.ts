import type { WireValue } from '../wire/qobject.js';
import type { ArgSpec, ArgValues } from './args.js';
import type { GeneratedSchema } from './schema-types.js';
import type { QmpSession } from './session.js';

export interface CommandContext {
  readonly session: QmpSession;
}

export type CommandHandler = (context: CommandContext, args: ArgValues) => Promise<WireValue> | WireValue;

export interface CommandOptions {
  /** Allowed before negotiation (only qmp_capabilities). */
  readonly preNegotiation?: boolean;
}

/**
 * The narrow side commands are registered against (vscode-jsonrpc's `onRequest` shape): a name
 * and a handler. Argument checking comes from the QAPI schema, not from the handler.
 */
export interface CommandHost {
  onCommand(name: string, handler: CommandHandler, options?: CommandOptions): void;
}

export interface RegisteredCommand {
  readonly name: string;
  readonly args: readonly ArgSpec[];
  readonly allowOob: boolean;
  readonly preNegotiation: boolean;
  readonly handler: CommandHandler;
}

/** Commands by name, each bound to its schema definition; the schema and the handlers must match. */
export class CommandRegistry implements CommandHost {
  private readonly commands = new Map<string, RegisteredCommand>();

  constructor(private readonly schema: GeneratedSchema) {}

  onCommand(name: string, handler: CommandHandler, options: CommandOptions = {}): void {
    const definition = this.schema.commands.find((command) => command.name === name);
    if (!definition) throw new Error(`command '${name}' is not in the QAPI schema (apps/qmp/qapi/)`);
    if (this.commands.has(name)) throw new Error(`command '${name}' is registered twice`);
    this.commands.set(name, { ...definition, preNegotiation: options.preNegotiation === true, handler });
  }

  find(name: string): RegisteredCommand | undefined {
    return this.commands.get(name);
  }

  /** Registered command names in schema order (query-commands). */
  names(): string[] {
    return this.schema.commands.map((command) => command.name).filter((name) => this.commands.has(name));
  }

  /** Every command the schema declares has a handler (so query-qmp-schema never lies). */
  assertComplete(): void {
    const missing = this.schema.commands.filter((command) => !this.commands.has(command.name)).map((command) => command.name);
    if (missing.length > 0) throw new Error(`QAPI schema commands without a handler: ${missing.join(', ')}`);
  }
}

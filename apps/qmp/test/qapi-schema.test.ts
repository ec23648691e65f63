import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommandRegistry, QAPI_SCHEMAS } from '../src/index.js';
import { qemuPythonPath } from './qemu-python.js';

type QapiExpr = Map<string, unknown>;
interface Generator {
  loadQapi(path: string): QapiExpr[];
}

const generator = (): Promise<Generator> => import('../scripts/gen-qapi.mjs' as string) as Promise<Generator>;
const QAPI_DIR = join(import.meta.dirname, '../qapi');
const plain = (value: unknown): unknown =>
  value instanceof Map ? Object.fromEntries([...value].map(([k, v]) => [k, plain(v)])) : Array.isArray(value) ? value.map(plain) : value;
const nameOf = (expr: QapiExpr) =>
  ['command', 'event', 'struct', 'union', 'enum', 'alternate'].map((k) => expr.get(k)).find((v) => v !== undefined) as string;

describe('the QAPI schema (apps/qmp/qapi)', () => {
  it("defines every entity exactly as QEMU 7.2's qapi/*.json does (--compat qemu-7.2 schema)", async () => {
    const { loadQapi } = await generator();
    // python/ sits beside qapi/ in the unpacked qemu source package.
    const qemu = new Map(loadQapi(join(qemuPythonPath(), '../qapi/qapi-schema.json')).map((expr) => [nameOf(expr), expr]));
    expect(qemu.size).toBeGreaterThan(500);
    const ours = loadQapi(join(QAPI_DIR, 'schema-qemu-7.2.json'));
    expect(ours.length).toBeGreaterThan(30);
    for (const expr of ours)
      expect({ name: nameOf(expr), def: plain(expr) }).toEqual({ name: nameOf(expr), def: plain(qemu.get(nameOf(expr))) });
  });

  it('differs in the default schema only by the dump formats QEMU 8.2 added (kdump-raw-*)', async () => {
    const { loadQapi } = await generator();
    const compat = loadQapi(join(QAPI_DIR, 'schema-qemu-7.2.json')).map(plain);
    const ours = loadQapi(join(QAPI_DIR, 'schema.json')).map(plain);
    const differing = ours.filter((expr, i) => JSON.stringify(expr) !== JSON.stringify(compat[i]));
    expect(differing).toEqual([
      {
        enum: 'DumpGuestMemoryFormat',
        data: ['elf', 'kdump-zlib', 'kdump-lzo', 'kdump-snappy', 'kdump-raw-zlib', 'kdump-raw-lzo', 'kdump-raw-snappy', 'win-dmp'],
      },
    ]);
  });

  it('refuses a handler for a command the schema lacks, and a schema command without a handler', () => {
    const registry = new CommandRegistry(QAPI_SCHEMAS.default);
    expect(() => registry.onCommand('system_reset', () => ({}))).toThrow("command 'system_reset' is not in the QAPI schema");
    registry.onCommand('query-status', () => ({}));
    expect(() => registry.onCommand('query-status', () => ({}))).toThrow('registered twice');
    expect(() => registry.assertComplete()).toThrow(/QAPI schema commands without a handler: qmp_capabilities, /);
    expect(registry.names()).toEqual(['query-status']);
  });

  it('takes argument checks from the schema (dump-guest-memory members in QAPI order)', () => {
    const dump = QAPI_SCHEMAS['qemu-7.2'].commands.find((c) => c.name === 'dump-guest-memory')!;
    expect(dump.args).toEqual([
      { name: 'paging', type: 'bool' },
      { name: 'protocol', type: 'str' },
      { name: 'detach', type: 'bool', optional: true },
      { name: 'begin', type: 'int', optional: true },
      { name: 'length', type: 'int', optional: true },
      { name: 'format', type: { enum: ['elf', 'kdump-zlib', 'kdump-lzo', 'kdump-snappy', 'win-dmp'] }, optional: true },
    ]);
  });
});

// Generates src/generated/qapi-schema.ts from qapi/*.json at build time: query-qmp-schema's
// SchemaInfo list, computed as QEMU's scripts/qapi/introspect.py does (type names masked as
// numbers in order of first use, builtins and arrays by name, int-like types folded into 'int'),
// and the argument tables the dispatcher checks requests against. One schema per compatibility
// mode: 'default' (qapi/schema.json) and 'qemu-7.2' (qapi/schema-qemu-7.2.json).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** QAPI's JSON dialect (scripts/qapi/parser.py): single-quoted strings, '#' comments. */
export function parseQapiText(text, where) {
  let pos = 0;
  const fail = (what) => {
    throw new Error(`${where}: ${what} at offset ${pos}`);
  };
  const skip = () => {
    for (;;) {
      while (pos < text.length && /\s/.test(text[pos])) pos++;
      if (text[pos] !== '#') return;
      while (pos < text.length && text[pos] !== '\n') pos++;
    }
  };
  const value = () => {
    skip();
    const c = text[pos];
    if (c === "'") {
      const end = text.indexOf("'", pos + 1);
      if (end < 0) fail('unterminated string');
      const s = text.slice(pos + 1, end);
      pos = end + 1;
      return s;
    }
    if (c === '{') {
      pos++;
      const dict = new Map();
      skip();
      if (text[pos] === '}') {
        pos++;
        return dict;
      }
      for (;;) {
        const key = value();
        if (typeof key !== 'string') fail('key is not a string');
        skip();
        if (text[pos++] !== ':') fail("expected ':'");
        dict.set(key, value());
        skip();
        const sep = text[pos++];
        if (sep === '}') return dict;
        if (sep !== ',') fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      pos++;
      const list = [];
      skip();
      if (text[pos] === ']') {
        pos++;
        return list;
      }
      for (;;) {
        list.push(value());
        skip();
        const sep = text[pos++];
        if (sep === ']') return list;
        if (sep !== ',') fail("expected ',' or ']'");
      }
    }
    if (text.startsWith('true', pos)) {
      pos += 4;
      return true;
    }
    if (text.startsWith('false', pos)) {
      pos += 5;
      return false;
    }
    return fail(`unexpected '${c}'`);
  };
  const exprs = [];
  for (skip(); pos < text.length; skip()) exprs.push(value());
  return exprs;
}

/** Top-level expressions of a schema file with its includes expanded in place (each file once). */
export function loadQapi(path, seen = new Set()) {
  if (seen.has(path)) return [];
  seen.add(path);
  const out = [];
  for (const expr of parseQapiText(readFileSync(path, 'utf8'), path)) {
    if (expr.has('include')) out.push(...loadQapi(join(dirname(path), expr.get('include')), seen));
    else if (!expr.has('pragma')) out.push(expr);
  }
  return out;
}

// scripts/qapi/schema.py _def_predefineds(): builtin name → JSON type, in QEMU's order.
const BUILTINS = new Map([
  ['str', 'string'],
  ['number', 'number'],
  ['int', 'int'],
  ['int8', 'int'],
  ['int16', 'int'],
  ['int32', 'int'],
  ['int64', 'int'],
  ['uint8', 'int'],
  ['uint16', 'int'],
  ['uint32', 'int'],
  ['uint64', 'int'],
  ['size', 'int'],
  ['bool', 'boolean'],
  ['any', 'value'],
  ['null', 'null'],
]);

const featureNames = (list) => (list ?? []).map((f) => (typeof f === 'string' ? f : f.get('name')));

/** Members of a 'data' dictionary: '*name' is optional; a value may be {type, features}. */
function members(data) {
  return [...data].map(([key, spec]) => {
    const long = spec instanceof Map;
    return {
      name: key.replace(/^\*/, ''),
      optional: key.startsWith('*'),
      type: long ? spec.get('type') : spec,
      features: long ? featureNames(spec.get('features')) : [],
    };
  });
}

/** The schema's entities (types by name, commands and events in definition order). */
export function buildSchema(exprs) {
  const types = new Map();
  const entities = [];
  for (const [name, json] of BUILTINS) types.set(name, { kind: 'builtin', name, json });
  types.set('q_empty', { kind: 'object', name: 'q_empty', members: [], features: [] });
  const implicit = (name, data) => {
    types.set(name, { kind: 'object', name, members: members(data), features: [] });
    return name;
  };
  for (const expr of exprs) {
    const features = featureNames(expr.get('features'));
    if (expr.has('enum')) {
      const values = expr
        .get('data')
        .map((v) =>
          typeof v === 'string' ? { name: v, features: [] } : { name: v.get('name'), features: featureNames(v.get('features')) },
        );
      types.set(expr.get('enum'), { kind: 'enum', name: expr.get('enum'), values, features });
    } else if (expr.has('struct')) {
      const name = expr.get('struct');
      types.set(name, { kind: 'object', name, base: expr.get('base'), members: members(expr.get('data') ?? new Map()), features });
    } else if (expr.has('union')) {
      const name = expr.get('union');
      const base = expr.get('base') instanceof Map ? implicit(`q_obj_${name}-base`, expr.get('base')) : expr.get('base');
      const variants = [...expr.get('data')].map(([tag, spec]) => ({ case: tag, type: spec instanceof Map ? spec.get('type') : spec }));
      types.set(name, { kind: 'object', name, base, members: [], tag: expr.get('discriminator'), variants, features });
    } else if (expr.has('command')) {
      const name = expr.get('command');
      const data = expr.get('data');
      entities.push({
        kind: 'command',
        name,
        argType: data instanceof Map ? implicit(`q_obj_${name}-arg`, data) : (data ?? 'q_empty'),
        retType: expr.get('returns') ?? 'q_empty',
        allowOob: expr.get('allow-oob') === true,
        features,
      });
    } else if (expr.has('event')) {
      const name = expr.get('event');
      const data = expr.get('data');
      entities.push({
        kind: 'event',
        name,
        argType: data instanceof Map ? implicit(`q_obj_${name}-arg`, data) : (data ?? 'q_empty'),
        features,
      });
    } else {
      throw new Error(`unsupported QAPI expression ${JSON.stringify([...expr.keys()])}`);
    }
  }
  return { types, entities };
}

/** A type reference ('Name' or ['Name']) to its entity; arrays are made on demand, like QEMU's. */
function resolve(schema, ref) {
  if (Array.isArray(ref)) return { kind: 'array', name: `${ref[0]}List`, element: resolve(schema, ref[0]) };
  const type = schema.types.get(ref);
  if (!type) throw new Error(`QAPI type '${ref}' is not defined`);
  return type;
}

const jsonType = (type) =>
  type.kind === 'builtin' ? type.json : type.kind === 'enum' ? 'string' : type.kind === 'array' ? 'array' : 'object';

/** All members of an object type: its base's first (flat union and struct alike). */
function flatMembers(schema, type) {
  const base = type.base ? flatMembers(schema, resolve(schema, type.base)) : [];
  return [...base, ...type.members];
}

/** scripts/qapi/introspect.py's visitor: the SchemaInfo list, members in QEMU's insertion order. */
export function introspect(schema) {
  const trees = [];
  const used = [];
  const nameMap = new Map();
  const mask = (name) => {
    if (!nameMap.has(name)) nameMap.set(name, String(nameMap.size));
    return nameMap.get(name);
  };
  const useType = (ref) => {
    let type = typeof ref === 'object' && !Array.isArray(ref) ? ref : resolve(schema, ref);
    if (jsonType(type) === 'int') type = schema.types.get('int');
    else if (type.kind === 'array' && jsonType(type.element) === 'int')
      type = { kind: 'array', name: 'intList', element: schema.types.get('int') };
    if (!used.some((t) => t.name === type.name)) used.push(type);
    if (type.kind === 'builtin') return type.name;
    if (type.kind === 'array') return `[${useType(type.element)}]`;
    return mask(type.name);
  };
  const tree = (name, metaType, obj, features) => {
    obj.name = ['command', 'event', 'builtin', 'array'].includes(metaType) ? name : mask(name);
    obj['meta-type'] = metaType;
    if (features.length > 0) obj.features = features;
    trees.push(obj);
  };
  for (const entity of schema.entities) {
    if (entity.kind === 'command') {
      const obj = { 'arg-type': useType(entity.argType), 'ret-type': useType(entity.retType) };
      if (entity.allowOob) obj['allow-oob'] = true;
      tree(entity.name, 'command', obj, entity.features);
    } else {
      tree(entity.name, 'event', { 'arg-type': useType(entity.argType) }, entity.features);
    }
  }
  for (let i = 0; i < used.length; i++) {
    const type = used[i];
    if (type.kind === 'builtin') {
      tree(type.name, 'builtin', { 'json-type': type.json }, []);
    } else if (type.kind === 'enum') {
      const enumMembers = type.values.map((v) => (v.features.length > 0 ? { name: v.name, features: v.features } : { name: v.name }));
      tree(type.name, 'enum', { members: enumMembers, values: type.values.map((v) => v.name) }, type.features);
    } else if (type.kind === 'array') {
      const element = useType(type.element);
      tree(`[${element}]`, 'array', { 'element-type': element }, []);
    } else {
      const obj = {
        members: flatMembers(schema, type).map((m) => {
          const member = { name: m.name, type: useType(m.type) };
          if (m.optional) member.default = null;
          if (m.features.length > 0) member.features = m.features;
          return member;
        }),
      };
      if (type.variants) {
        obj.tag = type.tag;
        obj.variants = type.variants.map((v) => ({ case: v.case, type: useType(v.type) }));
      }
      tree(type.name, 'object', obj, type.features);
    }
  }
  return trees;
}

/** A command argument as the dispatcher's visitor checks it (see src/protocol/args.ts). */
function argType(schema, ref) {
  const type = Array.isArray(ref) ? { kind: 'array', element: resolve(schema, ref[0]) } : resolve(schema, ref);
  if (type.kind === 'array') {
    if (type.element.kind !== 'enum') throw new Error(`argument type ${JSON.stringify(ref)} is not supported`);
    return { list: { enum: type.element.values.map((v) => v.name) } };
  }
  if (type.kind === 'enum') return { enum: type.values.map((v) => v.name) };
  if (type.kind === 'builtin' && type.json === 'int')
    return type.name === 'int' || type.name === 'int64'
      ? 'int'
      : (() => {
          throw new Error(`argument type ${ref} is not supported`);
        })();
  if (type.kind === 'builtin' && type.name === 'str') return 'str';
  if (type.kind === 'builtin' && type.name === 'bool') return 'bool';
  throw new Error(`argument type ${JSON.stringify(ref)} is not supported`);
}

export function commandTable(schema) {
  return schema.entities
    .filter((e) => e.kind === 'command')
    .map((command) => ({
      name: command.name,
      allowOob: command.allowOob,
      args: flatMembers(schema, resolve(schema, command.argType)).map((m) => ({
        name: m.name,
        type: argType(schema, m.type),
        ...(m.optional ? { optional: true } : {}),
      })),
    }));
}

function generate() {
  const modes = { default: 'qapi/schema.json', 'qemu-7.2': 'qapi/schema-qemu-7.2.json' };
  const out = {};
  for (const [mode, file] of Object.entries(modes)) {
    const schema = buildSchema(loadQapi(join(root, file)));
    out[mode] = {
      info: introspect(schema),
      commands: commandTable(schema),
      events: schema.entities.filter((e) => e.kind === 'event').map((e) => e.name),
    };
  }
  const text = `// Generated by scripts/gen-qapi.mjs from qapi/*.json at build time. Do not edit.
import type { GeneratedSchema } from '../protocol/schema-types.js';

export const QAPI_SCHEMAS: Readonly<Record<'default' | 'qemu-7.2', GeneratedSchema>> = ${JSON.stringify(out, null, 1)};
`;
  mkdirSync(join(root, 'src/generated'), { recursive: true });
  const target = join(root, 'src/generated/qapi-schema.ts');
  let previous = '';
  try {
    previous = readFileSync(target, 'utf8');
  } catch {
    /* first build */
  }
  if (previous !== text) writeFileSync(target, text);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) generate();

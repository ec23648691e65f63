// Loads built ESM entries the way a browser would: in a fresh vm context with no `process`,
// `require`, `Buffer` or Node built-ins, resolving bare specifiers through node_modules like a
// bundler (ESM `import` entries; CommonJS files evaluated with a module shim whose `require`
// reaches only files of the same package). Any `node:` or built-in import fails the load.
// Usage: node --experimental-vm-modules check.mjs ENTRY_FILE [EXPRESSION]
//   EXPRESSION (optional) runs in the context with the entry's namespace as `entry`; it must not
//   throw and its (awaited) value is printed as JSON.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';

const BUILTINS = new Set(builtinModules);

// What every browser (and worker) has; nothing Node-specific.
const context = vm.createContext({
  console,
  TextEncoder,
  TextDecoder,
  URL,
  AbortController,
  AbortSignal,
  setTimeout,
  clearTimeout,
  queueMicrotask,
  structuredClone,
  atob,
  btoa,
});
context.globalThis = context;
context.self = context;

function packageJsonAbove(file) {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'package.json');
    if (dirname(dir) === dir) return undefined;
  }
}

function exportTarget(pkgDir, pkg, subpath) {
  const exp = pkg.exports;
  let entry =
    exp === undefined
      ? undefined
      : typeof exp === 'string'
        ? subpath === '.'
          ? exp
          : undefined
        : (exp[subpath] ?? (subpath === '.' && !Object.keys(exp).some((k) => k.startsWith('.')) ? exp : undefined));
  while (entry && typeof entry === 'object') entry = entry.browser ?? entry.import ?? entry.default;
  if (entry) return resolve(pkgDir, entry);
  if (subpath === '.') return resolve(pkgDir, pkg.module ?? pkg.main ?? 'index.js');
  return resolve(pkgDir, subpath);
}

function resolveSpecifier(specifier, parentFile) {
  if (specifier.startsWith('node:') || BUILTINS.has(specifier.split('/')[0])) {
    throw new Error(`${parentFile} imports the Node built-in '${specifier}'`);
  }
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    let file = resolve(dirname(parentFile), specifier);
    if (!existsSync(file) && existsSync(`${file}.js`)) file = `${file}.js`;
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.js');
    return file;
  }
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  const subpath = `.${specifier.slice(name.length)}` === '.' ? '.' : `.${specifier.slice(name.length)}`;
  for (let dir = dirname(parentFile); ; dir = dirname(dir)) {
    const pkgDir = join(dir, 'node_modules', name);
    if (existsSync(join(pkgDir, 'package.json'))) {
      return exportTarget(pkgDir, JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')), subpath);
    }
    if (dirname(dir) === dir) throw new Error(`${parentFile}: cannot resolve '${specifier}'`);
  }
}

function isCommonJs(file) {
  if (file.endsWith('.mjs')) return false;
  if (file.endsWith('.cjs')) return true;
  const pj = packageJsonAbove(file);
  return !pj || JSON.parse(readFileSync(pj, 'utf8')).type !== 'module';
}

/** A CommonJS file evaluated in the context; its require() reaches only files of its own package. */
function loadCommonJs(file, cache = new Map()) {
  if (cache.has(file)) return cache.get(file).exports;
  const module = { exports: {} };
  cache.set(file, module);
  const wrapper = vm.runInContext(`(function (module, exports, require) {${readFileSync(file, 'utf8')}\n})`, context, { filename: file });
  const pkgRoot = dirname(packageJsonAbove(file));
  const require = (specifier) => {
    if (!specifier.startsWith('.')) throw new Error(`${file} requires '${specifier}' (a browser bundle would need it too)`);
    const target = resolveSpecifier(specifier, file);
    if (!target.startsWith(pkgRoot)) throw new Error(`${file} requires '${specifier}' outside its package`);
    return loadCommonJs(target, cache);
  };
  wrapper(module, module.exports, require);
  return module.exports;
}

const modules = new Map();

function load(file) {
  if (modules.has(file)) return modules.get(file);
  let mod;
  if (isCommonJs(file)) {
    const exports = loadCommonJs(file);
    const names = [...new Set(['default', ...Object.keys(exports)])];
    mod = new vm.SyntheticModule(
      names,
      function () {
        for (const n of names) this.setExport(n, n === 'default' ? exports : exports[n]);
      },
      { context, identifier: file },
    );
  } else {
    mod = new vm.SourceTextModule(readFileSync(file, 'utf8'), {
      context,
      identifier: pathToFileURL(file).href,
      initializeImportMeta(meta) {
        meta.url = pathToFileURL(file).href;
      },
      importModuleDynamically: async (specifier) => {
        const dep = load(resolveSpecifier(specifier, file));
        // A module imported before (statically or by an earlier import()) is linked already.
        if (dep.status === 'unlinked') await dep.link(linker);
        await dep.evaluate();
        return dep;
      },
    });
  }
  modules.set(file, mod);
  return mod;
}

function linker(specifier, referencing) {
  const parent = referencing.identifier.startsWith('file:') ? new URL(referencing.identifier).pathname : referencing.identifier;
  return load(resolveSpecifier(specifier, parent));
}

const [entryArg, expression] = process.argv.slice(2);
try {
  const entry = load(resolve(entryArg));
  await entry.link(linker);
  await entry.evaluate();
  context.entry = entry.namespace;
  const value = expression ? await vm.runInContext(`(async () => (${expression}))()`, context) : Object.keys(entry.namespace).length;
  process.stdout.write(`${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
} catch (error) {
  process.stderr.write(`browser-import: ${entryArg}: ${error?.message ?? error}\n`);
  process.exit(1);
}

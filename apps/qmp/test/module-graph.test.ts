import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../src');

/** Relative imports (type-only ones included) of every module under src/. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts')) {
        const targets = [...readFileSync(path, 'utf8').matchAll(/from '(\.[^']+)'/g)].map((m) =>
          join(dirname(path), m[1]!.replace(/\.js$/, '.ts')),
        );
        graph.set(path, targets);
      }
    }
  };
  walk(SRC);
  return graph;
}

describe('apps/qmp module graph (issue 16)', () => {
  it('has no import cycle, type imports included (commands register against CommandHost, not the monitor)', () => {
    const graph = importGraph();
    const cycles: string[] = [];
    const done = new Set<string>();
    const stack: string[] = [];
    const visit = (node: string) => {
      if (stack.includes(node))
        return void cycles.push([...stack.slice(stack.indexOf(node)), node].map((p) => p.slice(SRC.length + 1)).join(' -> '));
      if (done.has(node)) return;
      done.add(node);
      stack.push(node);
      for (const next of graph.get(node) ?? []) visit(next);
      stack.pop();
    };
    for (const node of graph.keys()) visit(node);
    expect(graph.size).toBeGreaterThan(20);
    expect(cycles).toEqual([]);
    expect(graph.get(join(SRC, 'commands.ts'))!.some((target) => target.endsWith('monitor.ts'))).toBe(false);
  });
});

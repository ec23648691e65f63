import { readFileSync } from 'node:fs';

/** The parts of a V8 .cpuprofile (node --cpu-prof) this summary reads. */
interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  /** Self time, milliseconds. */
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  totalMs: number;
  functions: ProfileEntry[];
  /** Self time by where the code lives: a @vmcore package, node internals, (garbage collector)… */
  places: ProfileEntry[];
}

/** Where a frame's code lives, by its script URL. */
export function placeOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /\/(packages|apps|tools)\/([^/]+)\/dist\//.exec(url);
  if (pkg) return `@vmcore/${pkg[2]}`;
  const dep = /\/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (dep) return dep[1]!;
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?([^/]+).*$/, 'node:$2');
  return url;
}

function top(map: Map<string, number>, totalMs: number, limit: number): ProfileEntry[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, ms]) => ({ name, ms, percent: (100 * ms) / totalMs }));
}

/** Self time per function and per place of one profile file (one thread). */
export function summarizeCpuProfile(file: string, limit = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const functions = new Map<string, number>();
  const places = new Map<string, number>();
  let totalMs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const frame = byId.get(profile.samples[i]!);
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    if (!frame) continue;
    totalMs += ms;
    const place = placeOf(frame.url, frame.functionName);
    const name = `${frame.functionName || '(anonymous)'} ${place}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + ms);
    places.set(place, (places.get(place) ?? 0) + ms);
  }
  return { totalMs, functions: top(functions, totalMs, limit), places: top(places, totalMs, limit) };
}

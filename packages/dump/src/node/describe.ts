import type { DumpDescription } from '../describe/describe.js';
import { openSource } from './open.js';

/** `vmcore info FILE`: the report model of @vmcore/dump/describe for a file path. */
export async function describeDump(path: string, options: { signal?: AbortSignal } = {}): Promise<DumpDescription> {
  // The report model (and @vmcore/linux, @vmcore/kdump with it) loads only for `vmcore info`.
  const { describeSource } = await import('../describe/describe.js');
  const opened = await openSource(path);
  try {
    return await describeSource(opened.source, options);
  } finally {
    await opened.close();
  }
}

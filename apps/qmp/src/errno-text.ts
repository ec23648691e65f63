import { constants } from 'node:os';
import { errnoCode, errnoText } from '@vmcore/bytes';

export { errnoCode };

/** glibc's strerror() text for a Node errno code, as QEMU prints it. */
export function strerror(code: string | undefined): string | undefined {
  if (code === undefined) return undefined;
  const text = errnoText(code);
  if (text) return text;
  return code in constants.errno ? code : undefined;
}

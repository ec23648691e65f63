import { describe, expect, it } from 'vitest';
import { errnoCode, errnoText, VmcoreError, VmcoreErrorCode } from '../src/index.js';

describe('errno texts', () => {
  it("gives glibc's strerror() text for an errno name, as QEMU prints it", () => {
    expect(errnoText('ENOSPC')).toBe('No space left on device');
    expect(errnoText('EPIPE')).toBe('Broken pipe');
    expect(errnoText('EPERM')).toBe('Operation not permitted');
    expect(errnoText('ENOTREALLY')).toBeUndefined();
    expect(errnoText('toString')).toBeUndefined();
    expect(errnoText(undefined)).toBeUndefined();
  });

  it('finds the errno name in an error cause chain', () => {
    const cause = Object.assign(new Error('write failed'), { code: 'ENOSPC' });
    expect(errnoCode(new VmcoreError(VmcoreErrorCode.Io, 'cannot write', { cause }))).toBe('ENOSPC');
    expect(errnoCode(new VmcoreError(VmcoreErrorCode.Io, 'no errno'))).toBeUndefined();
  });
});

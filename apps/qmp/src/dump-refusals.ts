import type { DumpRefusal } from '@vmcore/dump';
import { QErr, QmpError } from './protocol/errors.js';

/**
 * The one table from @vmcore/dump's refusal reasons to QEMU 7.2's replies: the same text a
 * QEMU 7.2 monitor gives for each (newer QEMU's text where 7.2 lacks the check).
 */
export function qmpRefusal(refusal: DumpRefusal): QmpError {
  const detail = refusal.detail;
  switch (detail.reason) {
    case 'unknown-format':
      return QErr.enumValue('format', detail.format);
    case 'not-an-integer':
      return QErr.invalidParameterType(detail.parameter, 'integer');
    case 'filter-not-supported':
      return QmpError.generic("kdump-compressed format doesn't support paging or filter");
    case 'missing-length':
      return QErr.missingParameter('length');
    case 'missing-begin':
      return QErr.missingParameter('begin');
    case 'format-unavailable':
      return QmpError.generic(`${detail.format} is not available now`);
    case 'win-dmp-arch':
      return QmpError.generic('Windows dump is only available for x86-64');
    case 'not-seekable':
      return QmpError.generic('kdump-raw formats require a seekable file');
    case 'length-zero':
      return QErr.invalidParameter('length');
    case 'no-memory':
      return QmpError.generic('dump: no guest memory to dump');
    case 'begin-outside':
      return QErr.invalidParameter('begin');
    case 'win-dmp-header':
      return QmpError.generic(detail.message);
  }
}

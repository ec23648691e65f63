import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';

/**
 * Where QEMU 7.2 makes each check, which decides what a QMP client sees around the refusal:
 * - 'arguments': qmp_dump_guest_memory() before the output is opened (a plain error reply);
 * - 'output': after the output is opened (newer QEMU's seekability check; the descriptor is used up);
 * - 'init': dump_init(), with the VM stopped (STOP/RESUME around the error, query-dump 'failed');
 * - 'process': dump_process() (win-dmp's header checks: DUMP_COMPLETED with the error).
 */
export type DumpStage = 'arguments' | 'output' | 'init' | 'process';

/** Why planDump refuses a request, with what each app needs to say it in its own words. */
export type DumpRefusalDetail =
  | { readonly reason: 'unknown-format'; readonly format: string }
  | { readonly reason: 'format-unavailable'; readonly format: string }
  | { readonly reason: 'filter-not-supported'; readonly format: string; readonly paging: boolean }
  | { readonly reason: 'missing-length' }
  | { readonly reason: 'missing-begin' }
  | { readonly reason: 'not-an-integer'; readonly parameter: 'begin' | 'length'; readonly value: string }
  | { readonly reason: 'win-dmp-arch'; readonly arch: string; readonly qemuTarget?: string }
  | { readonly reason: 'not-seekable'; readonly format: string }
  | { readonly reason: 'length-zero' }
  | { readonly reason: 'no-memory'; readonly begin: bigint; readonly length: bigint }
  | { readonly reason: 'begin-outside'; readonly begin: bigint; readonly length: bigint }
  | {
      readonly reason: 'win-dmp-header';
      /** 'size': no note of a Windows header's size; 'signature'/'valid-dump': wrong magic. */
      readonly problem: 'size' | 'signature' | 'valid-dump';
      /** QEMU's text (create_win_dump()), from @vmcore/win-dmp. */
      readonly message: string;
    };

export type DumpRefusalReason = DumpRefusalDetail['reason'];

/** Each reason's stage (QEMU 7.2's order), error code, and the package's own wording. */
const REASONS: { readonly [R in DumpRefusalReason]: { readonly stage: DumpStage; readonly code: VmcoreErrorCode } } = {
  'unknown-format': { stage: 'arguments', code: VmcoreErrorCode.InvalidArgument },
  'filter-not-supported': { stage: 'arguments', code: VmcoreErrorCode.InvalidArgument },
  'missing-length': { stage: 'arguments', code: VmcoreErrorCode.InvalidArgument },
  'missing-begin': { stage: 'arguments', code: VmcoreErrorCode.InvalidArgument },
  'not-an-integer': { stage: 'arguments', code: VmcoreErrorCode.InvalidArgument },
  'format-unavailable': { stage: 'arguments', code: VmcoreErrorCode.Unsupported },
  'win-dmp-arch': { stage: 'arguments', code: VmcoreErrorCode.Unsupported },
  'not-seekable': { stage: 'output', code: VmcoreErrorCode.NotSeekable },
  'length-zero': { stage: 'init', code: VmcoreErrorCode.InvalidArgument },
  'no-memory': { stage: 'init', code: VmcoreErrorCode.InvalidArgument },
  'begin-outside': { stage: 'init', code: VmcoreErrorCode.InvalidArgument },
  'win-dmp-header': { stage: 'process', code: VmcoreErrorCode.InvalidArgument },
};

/**
 * The package's wording: QEMU's texts (the newest QEMU's where they changed), for callers that
 * print the error as it is. The CLI and the QMP server have their own tables keyed on `reason`.
 */
export function describeRefusal(detail: DumpRefusalDetail, formats: readonly string[] = []): string {
  switch (detail.reason) {
    case 'unknown-format':
      return `unknown dump format '${detail.format}' (expected one of: ${formats.join(', ')})`;
    case 'format-unavailable':
      return `${detail.format} is not available now`;
    case 'filter-not-supported':
      return "kdump-compressed format doesn't support paging or filter";
    case 'missing-length':
      return "Parameter 'length' is missing";
    case 'missing-begin':
      return "Parameter 'begin' is missing";
    case 'not-an-integer':
      return `Invalid parameter type for '${detail.parameter}', expected: integer (got ${detail.value})`;
    case 'win-dmp-arch':
      return 'Windows dump is only available for x86-64';
    case 'not-seekable':
      return 'kdump-raw formats require a seekable file';
    case 'length-zero':
      return "parameter 'length' expects a non-zero size";
    case 'no-memory':
      return 'dump: no guest memory to dump';
    case 'begin-outside':
      return "Invalid parameter 'begin'";
    case 'win-dmp-header':
      return detail.message;
  }
}

/** planDump's refusal: a VmcoreError whose `detail` says why, and `stage` where QEMU says it. */
export class DumpRefusal extends VmcoreError {
  readonly stage: DumpStage;
  /** QEMU's `total` when the refusal comes after dump_init() computed it (query-dump shows it). */
  readonly total?: number;
  constructor(
    readonly detail: DumpRefusalDetail,
    options: { readonly formats?: readonly string[]; readonly total?: number } = {},
  ) {
    const { stage, code } = REASONS[detail.reason];
    super(code, describeRefusal(detail, options.formats));
    this.stage = stage;
    if (options.total !== undefined) this.total = options.total;
  }

  get reason(): DumpRefusalReason {
    return this.detail.reason;
  }
}

export function isDumpRefusal(value: unknown): value is DumpRefusal {
  return value instanceof DumpRefusal;
}

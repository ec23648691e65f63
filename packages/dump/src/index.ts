// @vmcore/dump: QEMU's DumpState for any platform. Node's files and streams: @vmcore/dump/node.
export { DUMP_FORMATS, availableFormats, isDumpFormat, parseDumpFormat, formatSpec } from './formats.js';
export type { DumpFormat, FormatSpec, KdumpCodec } from './formats.js';
export { bytesToDump } from './rules.js';
export { planDump, dumpTarget } from './plan/plan.js';
export type { DumpPlan, DumpRequest, DumpTarget } from './plan/plan.js';
export { DumpRefusal, isDumpRefusal, describeRefusal } from './plan/refusal.js';
export type { DumpRefusalDetail, DumpRefusalReason, DumpStage } from './plan/refusal.js';
export { detectFormat, detectFormatFromBytes } from './detect.js';
export type { DetectedFormat } from './detect.js';
export { openGuestSource } from './open.js';
export { dumpToSink } from './dump-to-sink.js';
export type { DumpOptions, DumpResult, DumpSink, DumpSinkOpener, PageExclusionSummary } from './dump-to-sink.js';
export { readGuestNote, checkWinDumpNote, winDumpNoteProblem, VMCOREINFO_WIN_DUMP_NOTE_SIZE64 } from './guest-note.js';
export type { VmcoreinfoEntry } from './guest-note.js';
export { verifyGuest } from './verify.js';
export type { VerifyResult } from './verify.js';
export { guestKernel } from './kernel.js';
export type { GuestKernel } from './kernel.js';

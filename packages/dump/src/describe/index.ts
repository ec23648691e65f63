// @vmcore/dump/describe: the report model of `vmcore info` (platform-neutral).
export { describeSource } from './describe.js';
export type { DumpDescription, NoteSummary, PhysBaseInfo, VmcoreinfoSummary } from './describe.js';
export type { KdumpDetails, ElfDetails } from './details.js';

// @vmcore/test-support (private): guests made up in memory for tests and the CLI demo.
export { memoryGuest } from './memory-guest.js';
export type { MemoryGuestParts, MemoryGuestBlock } from './memory-guest.js';
export { syntheticGuest } from './synthetic.js';
export type { SyntheticGuestOptions } from './synthetic.js';
export { encodeNoteLe } from './synthetic.js';

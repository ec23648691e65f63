export type { Arch, DumpInfo, PhysBlock, MemoryMapping, ElfNote, Filter, MemoryChunk, GuestMemory } from './model.js';

export {
  ELFCLASS32,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFDATA2MSB,
  ET_CORE,
  PT_LOAD,
  PT_NOTE,
  PN_XNUM,
  SHT_NULL,
  SHT_PROGBITS,
  SHT_STRTAB,
  SHT_NOBITS,
  SHN_LORESERVE,
  SHN_XINDEX,
} from './constants.js';
export { planElfLayout } from './layout.js';
export type { ElfLayout, ElfLayoutInput, ElfLoadPlan, ElfSectionPlan, ElfSectionInput } from './layout.js';
export { encodeElfHeader, encodeProgramHeaders, encodeSectionHeaders } from './headers.js';
export { writeElfCore } from './writer.js';
export type { WriteElfCoreOptions, WriteElfCoreResult } from './writer.js';
export { readElfCore, MAX_NOTE_SEGMENT, MAX_NOTES, MAX_PROGRAM_HEADERS } from './reader.js';
export type { ElfCore, ElfHeader, ElfProgramHeader, ElfLoadSegment, ElfSection, ElfPiece } from './reader.js';
export { openElfGuest, elfCoreGuest, VMCOREINFO_NOTE_NAME } from './guest.js';
export type { OpenElfGuestOptions } from './guest.js';
export type { ElfNoteRecord } from './note.js';
export { STRUCTS as ELF_STRUCTS } from './structs.js';
export type { ElfClass, Ehdr, Phdr, Shdr } from './structs.js';

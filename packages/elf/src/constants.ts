export const ELFMAG = Uint8Array.of(0x7f, 0x45, 0x4c, 0x46);
export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;
export const EV_CURRENT = 1;
export const ET_CORE = 4;
export const PT_LOAD = 1;
export const PT_NOTE = 4;
/** e_phnum value meaning "the real count is in section 0's sh_info". */
export const PN_XNUM = 0xffff;
export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_STRTAB = 3;
export const SHT_NOBITS = 8;
export const SHN_LORESERVE = 0xff00;
export const SHN_XINDEX = 0xffff;

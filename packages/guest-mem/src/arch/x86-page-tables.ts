import type { ArchPageTables } from './types.js';
import { x86GuestPagingMappings, guestX86Translate } from './x86-paging.js';

/** x86_64 and i386 share one walker; the mode comes from each CPU's registers. */
export const X86_PAGE_TABLES: ArchPageTables = Object.freeze({
  mappings: x86GuestPagingMappings,
  translator: guestX86Translate,
});

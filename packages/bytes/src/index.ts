export { VmcoreError, VmcoreErrorCode, isVmcoreError } from './errors.js';
export { toSafeNumber, checkRange, alignUp, hex } from './numbers.js';
export { defineStruct, cString, latin1Bytes, latin1String } from './struct.js';
export type { Endian, FieldType, FieldList, StructValue, StructLayout } from './struct.js';
export { MemorySource, MemorySink, readExact, concatBytes } from './io.js';
export type { RandomAccessSource, PositionedSink, SequentialSink } from './io.js';
export { abortedError, checkAborted, yieldToEventLoop, YieldBudget } from './abort.js';
export {
  NOTE_HEADER_SIZE, NoteType, NT_PRSTATUS, elfNoteSize, readNoteHeader, encodeNote, encodeNoteArea, parseNotes,
} from './note.js';
export type { ElfNote, ParsedNote, ParseNotesOptions } from './note.js';
export { partitionPoint, findRange } from './search.js';
export { ERRNO_TEXT, errnoText, errnoCode } from './errno.js';

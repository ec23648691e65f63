export { VmcoreError, VmcoreErrorCode, isVmcoreError } from './errors.js';
export { toSafeNumber, checkRange, alignUp, hex } from './numbers.js';
export { defineStruct, cString, latin1Bytes } from './struct.js';
export type { Endian, FieldType, FieldList, StructValue, StructLayout } from './struct.js';
export { MemorySource, MemorySink, readExact } from './io.js';
export type { RandomAccessSource, PositionedSink, SequentialSink } from './io.js';
export { abortedError, checkAborted, yieldToEventLoop, YieldBudget } from './abort.js';

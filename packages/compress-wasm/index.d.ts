import type { LibdeflateWasm } from './codecs.js';

export type { LibdeflateWasm } from './codecs.js';

/** build/libdeflate.wasm, instantiated in this thread (Node). Requiring it throws when the module was not built. */
declare const codecs: LibdeflateWasm;
export = codecs;

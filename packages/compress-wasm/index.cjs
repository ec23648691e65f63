'use strict';
// Node: the module scripts/build.mjs compiled (build/libdeflate.wasm), read and instantiated
// synchronously, one instance per thread. Throws when it was not built (no clang or no
// libdeflate source): @vmcore/compress then uses node:zlib.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { libdeflateCodecs } = require('./codecs.cjs');

module.exports = libdeflateCodecs(new WebAssembly.Module(readFileSync(join(__dirname, 'build/libdeflate.wasm'))));

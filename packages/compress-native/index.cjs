'use strict';
// The addon scripts/build.mjs compiled (build/vmcore_compress.node). Throws when it was not built
// (its C libraries or Node's headers were missing): @vmcore/compress then uses its own codecs.
module.exports = require('./build/vmcore_compress.node');

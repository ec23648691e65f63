#!/bin/sh
# Fetches Debian's libdeflate source package (the same release as libdeflate-dev, which the
# native addon links) and unpacks it: @vmcore/compress-wasm compiles its zlib compressor and
# decompressor to WebAssembly from it. Idempotent; prints the directory.
# Usage: sh tools/deps/libdeflate-source.sh [DEST]   (default: <repo>/.cache/libdeflate-source)
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
dest=${1:-$repo/.cache/libdeflate-source}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
if [ -f "$dest/.complete" ]; then echo "$dest"; exit 0; fi
. "$repo/tools/deps/lib/debian-source.sh"
orig=$(debian_source_orig libdeflate "$dest")
cd "$dest"
rm -rf src && mkdir src
tar -xf "$orig" -C src --strip-components=1
touch .complete
echo "$dest"

#!/bin/sh
# Fetches Debian's libdeflate source package (the same release as libdeflate-dev, which the
# native addon links) and unpacks it: @vmcore/compress-wasm compiles its zlib compressor and
# decompressor to WebAssembly from it. Idempotent; prints the directory.
# Usage: sh tools/deps/libdeflate-source.sh [DEST]   (default: <repo>/.cache/libdeflate-source)
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
dest=${1:-$repo/.cache/libdeflate-source}
if [ -f "$dest/.complete" ]; then echo "$dest"; exit 0; fi
mkdir -p "$dest"
if [ ! -f /etc/apt/sources.list.d/vmcore-deb-src.sources ]; then
  # deb-src for the archive the system already uses (as tools/deps/qemu-source.sh).
  cat > /etc/apt/sources.list.d/vmcore-deb-src.sources <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt-get -o DPkg::Lock::Timeout=900 update >&2
fi
cd "$dest"
if ! ls libdeflate_*.orig.tar.* >/dev/null 2>&1; then
  apt-get -o DPkg::Lock::Timeout=900 source --download-only libdeflate >&2
fi
orig=$(ls libdeflate_*.orig.tar.* | head -n 1)
rm -rf src && mkdir src
tar -xf "$orig" -C src --strip-components=1
touch .complete
echo "$dest"

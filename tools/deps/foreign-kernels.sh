#!/bin/sh
# Debian kernels and busybox for the non-x86 reference guests (issue 11), as foreign-architecture
# packages unpacked (not installed) into <repo>/.cache/foreign-kernels/<debian-arch>/root:
#   arm64 (qemu-system-aarch64 -M virt), i386 (686 flavour, qemu-system-i386), s390x.
# The kernel packages ship no modules.dep, so depmod -b runs on the unpacked tree.
# Idempotent: an architecture with a .complete file is left alone. Prints the cache directory.
# Usage: sh tools/deps/foreign-kernels.sh [DEST]   (default: <repo>/.cache/foreign-kernels)
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
dest=${1:-$repo/.cache/foreign-kernels}
# debian-arch:kernel-flavour meta package
targets="arm64:linux-image-arm64 i386:linux-image-686 s390x:linux-image-s390x"
mkdir -p "$dest"
need=""
for t in $targets; do
  arch=${t%%:*}
  [ -f "$dest/$arch/.complete" ] || need="$need $t"
done
if [ -z "$need" ]; then echo "$dest"; exit 0; fi
apt_get() { apt-get -o DPkg::Lock::Timeout=900 "$@"; }
updated=no
for t in $need; do
  arch=${t%%:*}
  if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
    dpkg --add-architecture "$arch"
    updated=pending
  fi
done
if [ "$updated" = pending ] || ! apt-cache show "busybox-static:${need%%:*}" >/dev/null 2>&1; then
  apt_get update >&2
fi
for t in $need; do
  arch=${t%%:*}
  meta=${t#*:}
  dir="$dest/$arch"
  rm -rf "$dir" && mkdir -p "$dir/debs" "$dir/root"
  # the versioned image package the meta package points at, e.g. linux-image-6.1.0-57-arm64
  image=$(apt-cache depends "$meta:$arch" | sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\).*/\1/p' | head -n 1)
  if [ -z "$image" ]; then echo "foreign-kernels: no linux-image-<version> behind $meta:$arch" >&2; exit 1; fi
  (cd "$dir/debs" && apt_get download "$image:$arch" "busybox-static:$arch" >&2)
  for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$dir/root"; done
  release=$(ls "$dir/root/lib/modules" | head -n 1)
  depmod -b "$dir/root" "$release"
  printf '%s\n' "$release" > "$dir/release"
  rm -rf "$dir/debs"
  touch "$dir/.complete"
done
echo "$dest"

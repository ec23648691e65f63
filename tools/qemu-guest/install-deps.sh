#!/bin/sh
# Installs the Debian packages the tests need: every package named in tools/deps/*.list (one per
# line, # comments). Each part of the project keeps its own list there. Idempotent: returns at
# once when everything is present. Run as root (CI).
set -eu
deps_dir=$(cd "$(dirname "$0")/../deps" && pwd)

PACKAGES=$(cat "$deps_dir"/*.list | sed 's/#.*//' | tr -s ' \t' '\n' | grep -v '^$' | sort -u)

missing=""
for p in $PACKAGES; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
    missing="$missing $p"
  fi
done

run_hooks() {
  # Other set-up steps (the qemu source package, foreign kernels): tools/deps/*.sh, each idempotent.
  for hook in "$deps_dir"/*.sh; do
    [ -e "$hook" ] || continue
    echo "install-deps: $(basename "$hook")"
    sh "$hook" >/dev/null
  done
}

if [ -z "$missing" ]; then
  echo "install-deps: all packages present"
  run_hooks
  exit 0
fi

echo "install-deps: missing:$missing"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "install-deps: need root to install:$missing" >&2
    exit 1
  fi
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=900 update
# shellcheck disable=SC2086
$SUDO apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends $missing
run_hooks

#!/usr/bin/env bash
# The README's two commands: `bash tools/quickstart.sh demo` and `bash tools/quickstart.sh test`.
# Works on a fresh Debian machine with only Node 20 and npm: installs pnpm, the workspace, and
# (for `test`) the Debian packages the e2e tests use (QEMU, makedumpfile, libkdumpfile, ...).
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")

ensure_pnpm() {
  if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ]; then return; fi
  # corepack's signature check fails on these machines, so pnpm comes from npm itself.
  if ! npm install -g "pnpm@$PNPM_VERSION" >/dev/null 2>&1; then
    echo "quickstart: npm -g is not writable; using npx pnpm@$PNPM_VERSION" >&2
    pnpm() { npx -y "pnpm@$PNPM_VERSION" "$@"; }
  fi
}

install_workspace() {
  ensure_pnpm
  pnpm install --frozen-lockfile
  pnpm run build
}

case "${1:-}" in
  demo)
    install_workspace
    pnpm exec vmcore demo
    ;;
  test)
    bash tools/qemu-guest/install-deps.sh
    install_workspace
    pnpm run lint
    pnpm run test
    ;;
  *)
    echo "usage: bash tools/quickstart.sh demo|test" >&2
    exit 2
    ;;
esac

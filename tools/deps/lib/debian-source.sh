# Sourced by the tools/deps hooks that read a Debian source package (qemu, libdeflate).
# debian_source_orig PKG DIR: adds deb-src entries for the archive the system already uses (once),
# downloads PKG's source package into DIR (once) and prints the path of its upstream tarball.
debian_source_orig() {
  if [ ! -f /etc/apt/sources.list.d/vmcore-deb-src.sources ]; then
    cat > /etc/apt/sources.list.d/vmcore-deb-src.sources <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    apt-get -o DPkg::Lock::Timeout=900 update >&2
  fi
  if ! ls "$2/$1"_*.orig.tar.* >/dev/null 2>&1; then
    (cd "$2" && apt-get -o DPkg::Lock::Timeout=900 source --download-only "$1" >&2)
  fi
  ls "$2/$1"_*.orig.tar.* | head -n 1
}

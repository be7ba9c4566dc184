#!/usr/bin/env bash
# Installs the Debian 12 packages elvis needs to build and test, skipping those already present.
# Usage: scripts/install-deps.sh [--fuzz]   (--fuzz adds clang for the libFuzzer build)
set -euo pipefail
packages=(g++ meson ninja-build pkg-config python3 liburing-dev libboost1.81-dev
          libboost-program-options1.81-dev doctest-dev libisal-dev libssl-dev)
packages+=(zlib1g-dev)  # tests only: test/test_gzip.cpp makes its gzip data with zlib, an independent writer
packages+=(parallel)  # tests only: GNU parallel drives count + merge in test/cli/test_scale_out.py (skipped without it)
packages+=(openssh-server openssh-client)  # tests only: test/ssh_test.py runs two sshd on the loopback
packages+=(git patch)  # tests only: the walk is compared with git, --diff applied with git apply and patch -p1
# tests only: test/deb_test.sh builds the Debian packages (dpkg-buildpackage: dpkg-dev, debhelper,
# fakeroot, build-essential); test/install_test.sh renders the man page (man-db, groff-base) and
# checks the zsh completion (zsh; skipped without it)
packages+=(dpkg-dev debhelper fakeroot build-essential man-db groff-base zsh)
if [[ "${1:-}" == "--fuzz" ]]; then packages+=(clang libclang-rt-14-dev); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  if [[ $(id -u) -ne 0 ]]; then echo "error: run as root to install packages (or install them yourself)" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

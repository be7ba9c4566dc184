#!/usr/bin/env bash
# Installs the Debian 12 packages elvis needs to build and test, skipping those already present.
# Usage: scripts/install-deps.sh [--fuzz]   (--fuzz adds clang for the libFuzzer build)
set -euo pipefail
packages=(g++ meson ninja-build pkg-config python3 liburing-dev libboost1.81-dev
          libboost-program-options1.81-dev doctest-dev)
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

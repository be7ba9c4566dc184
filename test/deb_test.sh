#!/usr/bin/env bash
# Debian package test: builds the packages from a copy of the source tree with
# `dpkg-buildpackage -us -uc -b` (debian/), then checks what they hold, that they unpack and
# configure into an empty dpkg database, that their dependencies are installed here, and that the
# extracted command runs and the extracted library builds the README's Library example.
#
#   test/deb_test.sh SOURCE_DIR      (meson test runs it as 'deb'; needs dpkg-dev, debhelper,
#                                     fakeroot, build-essential: scripts/install-deps.sh)
# Exits 77 (skipped) when those tools are missing, except under CI (CI=true), where it fails.
# ELVIS_DEB_OUT=DIR keeps the packages and the build log in DIR.
set -euo pipefail

src=$(cd "$1" && pwd)
for tool in dpkg-buildpackage dh fakeroot; do
    if ! command -v "$tool" >/dev/null; then
        echo "$tool is missing: install dpkg-dev, debhelper, fakeroot (scripts/install-deps.sh installs them)" >&2
        [[ ${CI:-} == true ]] && exit 1
        exit 77
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/elvis-deb.XXXXXX")
keep() {
    if [[ -n ${ELVIS_DEB_OUT:-} ]]; then
        mkdir -p "$ELVIS_DEB_OUT"
        cp "$tmp"/*.deb "$tmp"/build.log "$ELVIS_DEB_OUT"/ 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap keep EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
step() { echo "== $*"; }

step "copy the source tree (without build directories and VCS data)"
mkdir "$tmp/elvis"
tar -C "$src" --exclude='./build*' --exclude='./obj-*' --exclude=./.git --exclude=./bench/out \
    --exclude='./fuzz/corpus-*' --exclude=./debian/.debhelper --exclude=./debian/files \
    --exclude=./debian/elvis --exclude=./debian/libelvis-dev --exclude=./debian/tmp -cf - . |
    tar -C "$tmp/elvis" -xf -

step "dpkg-buildpackage -us -uc -b"
version=$(cd "$tmp/elvis" && dpkg-parsechangelog -S Version)
project_version=$(sed -n "s/^ *version : '\([^']*\)'.*/\1/p" "$src/meson.build" | head -1)
[[ $version == "$project_version" ]] ||
    fail "debian/changelog is at $version, meson.build at $project_version: add a changelog entry"
start=$SECONDS
if ! (cd "$tmp/elvis" && DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
    dpkg-buildpackage -us -uc -b >"$tmp/build.log" 2>&1); then
    tail -n 60 "$tmp/build.log" >&2
    echo "FAIL: dpkg-buildpackage failed (log above)" >&2
    exit 1
fi
echo "built in $((SECONDS - start)) s"
arch=$(dpkg --print-architecture)
elvis_deb=$tmp/elvis_${version}_$arch.deb
dev_deb=$tmp/libelvis-dev_${version}_$arch.deb
for deb in "$elvis_deb" "$dev_deb"; do
    [[ -f $deb ]] || { fail "not built: ${deb##*/} (built: $(cd "$tmp" && ls ./*.deb))"; exit 1; }
done
grep -E '^(dpkg-[a-z]+|dh_[a-z]+): (warning|error)' "$tmp/build.log" >&2 && fail "warnings from the Debian tools (above)"

step "package contents"
contents() { dpkg-deb -c "$1" | awk '{ print $6 }' | sed 's|^\./|/|'; }
elvis_files=$(contents "$elvis_deb")
dev_files=$(contents "$dev_deb")
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for f in /usr/bin/elvis /usr/share/man/man1/elvis.1.gz /usr/share/bash-completion/completions/elvis \
    /usr/share/zsh/vendor-completions/_elvis /usr/share/doc/elvis/copyright; do
    grep -qx -- "$f" <<<"$elvis_files" || fail "elvis package lacks $f"
done
for f in "/usr/lib/$multiarch/libelvis.a" "/usr/lib/$multiarch/pkgconfig/elvis.pc" /usr/include/elvis/rewriter.hpp; do
    grep -qx -- "$f" <<<"$dev_files" || fail "libelvis-dev package lacks $f"
done
for header in "$src"/include/elvis/*.hpp; do
    grep -qx -- "/usr/include/elvis/${header##*/}" <<<"$dev_files" || fail "libelvis-dev lacks elvis/${header##*/}"
done
depends=$(dpkg-deb -f "$elvis_deb" Depends)
for library in libc6 libstdc++6 liburing2; do
    grep -q "$library" <<<"$depends" || fail "elvis does not depend on $library (Depends: $depends)"
done

step "the dependencies are installed here"
for deb in "$elvis_deb" "$dev_deb"; do
    dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/([^)]*)//; s/|.*//; s/^ *//; s/ *$//' | while read -r package; do
        [[ -z $package ]] && continue
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
            echo "${deb##*/} depends on $package, which is not installed"
    done
done >"$tmp/missing"
if [[ -s $tmp/missing ]]; then fail "$(cat "$tmp/missing")"; fi

step "dpkg --install into an empty database (--root)"
dpkg_root=$tmp/dpkg-root
mkdir -p "$dpkg_root/var/lib/dpkg/info" "$dpkg_root/var/lib/dpkg/updates"
touch "$dpkg_root/var/lib/dpkg/status"
if dpkg --root="$dpkg_root" --force-depends --force-not-root --force-script-chrootless --log=/dev/null \
    -i "$elvis_deb" "$dev_deb" >"$tmp/dpkg.log" 2>&1; then
    for package in elvis libelvis-dev; do
        [[ $(dpkg --root="$dpkg_root" -s "$package" 2>/dev/null | sed -n 's/^Status: //p') == "install ok installed" ]] ||
            fail "$package is not 'install ok installed' after dpkg -i"
    done
else
    cat "$tmp/dpkg.log" >&2
    fail "dpkg -i failed"
fi
root=$dpkg_root

step "the installed command"
[[ $("$root/usr/bin/elvis" --version) == "elvis $version" ]] || fail "elvis --version: $("$root/usr/bin/elvis" --version)"
[[ $(printf 'elvis\n' | "$root/usr/bin/elvis") == Elvis ]] || fail "the packaged elvis does not rewrite"
man_warnings=$(MANWIDTH=80 man --warnings -l "$root/usr/share/man/man1/elvis.1.gz" 2>&1 >/dev/null) ||
    fail "man -l failed on elvis.1.gz"
[[ -z $man_warnings ]] || fail "man --warnings on elvis.1.gz: $man_warnings"

step "the installed library builds the README example"
sed "s|^prefix=.*|prefix=$root/usr|" "$root/usr/lib/$multiarch/pkgconfig/elvis.pc" >"$tmp/elvis.pc"
awk '/^## Library/ { section = 1 } section && /^```cpp/ { inside = 1; next } inside && /^```/ { exit }
     inside { print }' "$src/README.md" >"$tmp/example.cpp"
read -ra flags <<<"$(PKG_CONFIG_PATH=$tmp pkg-config --cflags --libs elvis)"
if c++ -std=c++20 -Wall -Wextra -Werror "$tmp/example.cpp" -o "$tmp/example" "${flags[@]}"; then
    output=$("$tmp/example") || fail "the example failed"
    [[ $output == $'Elvis\'s favourite color\n2' ]] || fail "the example printed '$output'"
else
    fail "the example does not build against libelvis-dev"
fi

if ((failures)); then
    echo "deb test: $failures failure(s)"
    exit 1
fi
echo "deb test: all checks passed"

# Sourced by the bench scripts: the peers they compare against, installed the same way.

have() { command -v "$1" >/dev/null 2>&1; }

# install_peers LOG PACKAGE:COMMAND...: when run as root, installs with apt-get the packages whose
# COMMAND is missing (once more after `apt-get update` if the first try fails), apt's output to
# LOG. A peer still missing afterwards is the caller's to report; never fatal here.
install_peers() {
    local log=$1 peer missing=()
    shift
    for peer in "$@"; do have "${peer#*:}" || missing+=("${peer%%:*}"); done
    ((${#missing[@]})) && [[ $(id -u) == 0 ]] && have apt-get || return 0
    printf '[%s] installing missing peers: %s\n' "$(basename "$0")" "${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >>"$log" 2>&1 && return 0
    apt-get update -qq >>"$log" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >>"$log" 2>&1 ||
        printf '[%s] apt-get could not install all of: %s (see %s)\n' "$(basename "$0")" "${missing[*]}" "$log" >&2
    return 0
}

# record_result NAME REPORT: keeps REPORT as bench/results/HOST/NAME-VERSION.md, one file per host
# and version (a later run of the same version replaces it). HOST is BENCH_HOST, else the CPU
# model and core count; VERSION is BENCH_VERSION (set it when ELVIS is not this checkout's
# build), else `git describe --always --dirty` of this checkout.
record_result() {
    local name=$1 report=$2 here host version dir
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    host=${BENCH_HOST:-$({ grep -m1 'model name' /proc/cpuinfo | cut -d: -f2; echo "$(nproc)c"; } |
        tr 'A-Z' 'a-z' | tr -cs 'a-z0-9.\n' '-' | tr '\n' '-' | sed 's/--*/-/g; s/^-//; s/-$//')}
    version=${BENCH_VERSION:-$(git -C "$here" describe --always --dirty 2>/dev/null || echo unknown)}
    dir=$here/results/$host
    mkdir -p "$dir" && cp "$report" "$dir/$name-$version.md" &&
        printf '[%s] result kept as %s\n' "$(basename "$0")" "${dir#"$here/../"}/$name-$version.md" >&2
}

# kernel_tree: prints the path of the Linux source of Debian's linux-source-6.1, unpacked into
# bench/out/ and made a git work tree (git init, so that its .gitignore files apply as in a clone
# of linux.git), or KERNEL_TREE when set. Installs the package when root and it is missing.
kernel_tree() {
    local tree=${KERNEL_TREE:-} tarball
    if [[ -z $tree ]]; then
        tarball=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null || true)
        if [[ -z $tarball && $(id -u) == 0 ]]; then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-source-6.1 >>bench/out/apt.log 2>&1 || true
            tarball=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null || true)
        fi
        [[ -n $tarball ]] || { echo "$(basename "$0"): /usr/src/linux-source-6.1.tar.xz is missing (apt-get install linux-source-6.1)" >&2; return 1; }
        tree=bench/out/linux-source-6.1
        if [[ ! -d $tree ]]; then
            echo "$(basename "$0"): unpacking $tarball" >&2
            tar -C bench/out -xaf "$tarball"
        fi
    fi
    [[ -d $tree/.git ]] || git -C "$tree" init -q
    # Debian's package adds "/*" and "!/debian/" to the top .gitignore (its own repository holds
    # only debian/); without them the rules are upstream's.
    sed -i '/^# Debian packaging/,$d' "$tree/.gitignore"
    echo "$tree"
}

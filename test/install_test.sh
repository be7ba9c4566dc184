#!/usr/bin/env bash
# Install test: `meson install` of a build directory into a temporary DESTDIR, then checks what a
# user or another project gets: the binary, the man page (renders without warnings, its OPTIONS
# exactly those of each --help), the bash and zsh completions (valid, offer exactly those), every public
# header (compiles on its own, -Wall -Wextra clean), and the library through elvis.pc: the README's
# Library example is built with pkg-config, with a meson project (dependency('elvis')) and, when
# cmake is present, with a CMake project (pkg_check_modules), and run.
#
#   test/install_test.sh SOURCE_DIR BUILD_DIR      (meson test runs it as 'install')
# shellcheck disable=SC2154  # prefix, libdir, ..., cxx are assigned by `eval "$info"` below
set -euo pipefail

src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/elvis-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
step() { echo "== $*"; }

# The build's directories, compiler and sanitizers, as meson recorded them.
info=$(python3 - "$build/meson-info" <<'PY'
import json, shlex, sys
info = sys.argv[1]
options = {o["name"]: o["value"] for o in json.load(open(f"{info}/intro-buildoptions.json"))}
for name in ("prefix", "bindir", "libdir", "includedir", "mandir", "datadir", "b_sanitize"):
    print(f"{name}={shlex.quote(str(options[name]))}")
library = next(t for t in json.load(open(f"{info}/intro-targets.json"))
               if t["name"] == "elvis" and t["type"] == "static library")
print("cxx=" + shlex.quote(" ".join(library["target_sources"][0]["compiler"])))
PY
)
eval "$info"
at() { [[ $1 == /* ]] && echo "$root$1" || echo "$root$prefix/$1"; }  # installed path of a dir option
sanitize=()
[[ $b_sanitize != none ]] && sanitize=("-fsanitize=$b_sanitize")

step "meson install --destdir (prefix $prefix)"
meson install -C "$build" --no-rebuild --quiet --destdir "$root"

elvis=$(at "$bindir")/elvis
man_page=$(at "$mandir")/man1/elvis.1
bash_completion=$(at "$datadir")/bash-completion/completions/elvis
zsh_completion=$(at "$datadir")/zsh/vendor-completions/_elvis
pc_dir=$(at "$libdir")/pkgconfig
for f in "$elvis" "$man_page" "$bash_completion" "$zsh_completion" "$(at "$libdir")/libelvis.a" "$pc_dir/elvis.pc"; do
    [[ -f $f ]] || fail "not installed: ${f#"$root"}"
done
for header in "$src"/include/elvis/*.hpp; do
    cmp -s "$header" "$(at "$includedir")/elvis/${header##*/}" || fail "header not installed: elvis/${header##*/}"
done
# Only the public headers: nothing of src/ (the internals) is installed.
for installed in "$(at "$includedir")"/elvis/*; do
    [[ -f $src/include/elvis/${installed##*/} ]] || fail "installed but not public: elvis/${installed##*/}"
done
((failures == 0)) || exit 1

step "installed binary"
version=$("$elvis" --version)
[[ $version == "elvis "* ]] || fail "elvis --version printed '$version'"
[[ $(printf 'elvis\n' | "$elvis") == Elvis ]] || fail "installed elvis does not rewrite"

# Long options named by a help text.
options_of() { grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }
# The options a help text defines: those its option lines start with ("  -t, --term", "      --io").
defined_options_of() { grep -oE -- '^ {2,}(-[A-Za-z0-9], )?--[a-z][a-z0-9-]*' | options_of; }
help_options=$({ "$elvis" --help; "$elvis" count --help; "$elvis" merge --help; } | options_of)
[[ -n $help_options ]] || fail "no options found in --help"
defined_help_options=$({ "$elvis" --help; "$elvis" count --help; "$elvis" merge --help; } | defined_options_of)
differ=$(diff <(echo "$defined_help_options") <(grep -oE -- '"--[a-z][a-z0-9-]*"' "$src/fuzz/fuzz_options.dict" | tr -d '"' | sort -u)) ||
    fail "fuzz/fuzz_options.dict differs from the options of the --help texts (< help only, > dictionary only): $differ"

step "man page"
warnings=$(groff -man -ww -z "$man_page" 2>&1) || fail "groff failed on elvis.1"
[[ -z $warnings ]] || fail "groff warns on elvis.1: $warnings"
rendered=$(MANWIDTH=80 man --warnings -l "$man_page" 2>"$tmp/man.err") || fail "man -l failed on elvis.1"
[[ ! -s $tmp/man.err ]] || fail "man --warnings on elvis.1: $(cat "$tmp/man.err")"
man_options=$(options_of <<<"${rendered//‐$'\n'/}")  # rejoin words hyphenated at line ends
for option in $help_options; do
    grep -qx -- "$option" <<<"$man_options" || fail "elvis.1 does not document $option"
done
# Exactly each command's options, none missing and none stale: the tags (.TP, .TQ) of its
# subsections of OPTIONS diffed against the options its --help defines.
man_defined_options() {
    awk -v want="$1" '/^\.SH/ { options = $2 == "OPTIONS"; subsection = ""; next }
        options && /^\.SS/ { subsection = $2; next }
        /^\.T[PQ]/ { tag = 1; next }
        tag { tag = 0; if (options && index(" " want " ", " " subsection " ")) print }' "$man_page" |
        sed 's/\\-/-/g' | options_of
}
for command in filter count merge; do
    words=(); [[ $command != filter ]] && words+=("$command")
    subsections=$command; [[ $command == filter ]] && subsections="Filter In"  # "In place"
    differ=$(diff <("$elvis" "${words[@]}" --help | defined_options_of) <(man_defined_options "$subsections")) ||
        fail "elvis.1's OPTIONS for elvis ${words[*]} differ from its --help (< help only, > man page only): $differ"
done
for word in count merge EXIT ENVIRONMENT ELVIS_IO NO_COLOR; do
    grep -q "$word" <<<"$rendered" || fail "elvis.1 does not mention $word"
done
th_version=$(sed -n 's/^\.TH .*"elvis \([^"]*\)".*/\1/p' "$man_page")
[[ "elvis $th_version" == "$version" ]] || fail "elvis.1 says version '$th_version', the binary '$version'"

step "bash completion"
bash -n "$bash_completion" || fail "bash completion has a syntax error"
completed=$(bash -c 'source "$1"
    complete -p elvis >/dev/null || exit 1
    complete_line() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _elvis; printf "%s\n" "${COMPREPLY[@]}"; }
    complete_line elvis --; complete_line elvis count --; complete_line elvis merge --; complete_line elvis ""
    complete_line elvis --io ""; complete_line elvis count --format ""' _ "$bash_completion") ||
    fail "bash completion did not run"
for option in $help_options count merge help auto uring posix tsv json; do
    grep -qx -- "$option" <<<"$completed" || fail "bash completion does not offer $option"
done
# Each option a --help defines is one its parser knows.
for command in filter count merge; do
    words=(); [[ $command != filter ]] && words+=("$command")
    for option in $("$elvis" "${words[@]}" --help | defined_options_of); do
        ! (mkdir -p "$tmp/empty" && cd "$tmp/empty" && "$elvis" "${words[@]}" "$option" </dev/null 2>&1 >/dev/null) |
            grep -q "unrecognised option" ||
            fail "elvis ${words[*]} --help names $option, which its parser does not know"
    done
done
# Each command's flag table (src/cli/COMMAND_command.cpp, `constexpr Flag COMMAND_flags[]`), the
# one definition the parser, the suggestions and the scope checks read, against its --help: each
# long name with its short letter ("--threads -j"), both ways.
with_short_names() { sed -E 's/^ +(-([A-Za-z0-9]), )?(--[a-z0-9-]+)/\3 -\2/; s/ -$//' | sort -u; }
for command in filter count merge; do
    words=(); [[ $command != filter ]] && words+=("$command")
    table=$(awk "/constexpr Flag ${command}_flags\\[\\] = \\{/,/^\\};/" "$src/src/cli/${command}_command.cpp" |
        grep -oE "\\{\"[a-z0-9-]+\"(, *'[^']')?" | sed -E "s/^\\{\"([a-z0-9-]+)\"(, *'(.)')?/--\\1 -\\3/; s/ -\$//" | sort -u)
    [[ -n $table ]] || fail "no flag table found for elvis ${words[*]} in src/cli/${command}_command.cpp"
    help=$("$elvis" "${words[@]}" --help | grep -oE -- '^ {2,}(-[A-Za-z0-9], )?--[a-z][a-z0-9-]*' | with_short_names)
    differ=$(diff <(echo "$help") <(echo "$table")) ||
        fail "elvis ${words[*]} --help differs from its flag table (< help only, > table only): $differ"
done
# Exactly each command's options, none missing and none stale: diffed, per command.
for command in filter count merge; do
    words=(elvis); [[ $command != filter ]] && words+=("$command")
    help=$("$elvis" "${words[@]:1}" --help | defined_options_of)
    offered=$(bash -c 'source "$1"; shift; COMP_WORDS=("$@" --); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
        _elvis; printf "%s\n" "${COMPREPLY[@]}"' _ "$bash_completion" "${words[@]}" | options_of)
    differ=$(diff <(echo "$help") <(echo "$offered")) ||
        fail "bash completion of elvis ${words[*]:1} differs from its --help (< help only, > completion only): $differ"
done

step "zsh completion"
if command -v zsh >/dev/null; then
    zsh -n "$zsh_completion" || fail "zsh completion has a syntax error"
    for option in $help_options; do
        grep -qE -- "$option([^a-z0-9-]|\$)" "$zsh_completion" || fail "zsh completion does not offer $option"
    done
    for command in filter count; do
        words=(); [[ $command != filter ]] && words+=("$command")
        help=$("$elvis" "${words[@]}" --help | defined_options_of)
        offered=$(sed -n "/^_elvis_$command() {/,/^}/p" "$zsh_completion" | options_of)
        differ=$(diff <(echo "$help") <(echo "$offered")) ||
            fail "zsh completion of elvis ${words[*]} differs from its --help (< help only, > completion only): $differ"
    done
else
    echo "zsh not installed: zsh completion not checked"
fi

# elvis.pc as installed, its prefix moved into the DESTDIR (every other path in it is relative to
# ${prefix}; PKG_CONFIG_SYSROOT_DIR would also move liburing's and zlib's /usr/include).
grep -qx "prefix=$prefix" "$pc_dir/elvis.pc" || fail "elvis.pc does not say prefix=$prefix"
mkdir "$tmp/pkgconfig"
sed "s|^prefix=.*|prefix=$root$prefix|" "$pc_dir/elvis.pc" >"$tmp/pkgconfig/elvis.pc"
export PKG_CONFIG_PATH=$tmp/pkgconfig
read -ra cflags <<<"$(pkg-config --cflags elvis)"
read -ra libs <<<"$(pkg-config --libs elvis)"

step "public headers compile on their own, and pull in no liburing, Boost or threads"
for header in "$(at "$includedir")"/elvis/*.hpp; do
    printf '#include <elvis/%s>\n' "${header##*/}" >"$tmp/header.cpp"
    $cxx -std=c++20 -Wall -Wextra -Werror -fsyntax-only "${cflags[@]}" "$tmp/header.cpp" ||
        fail "elvis/${header##*/} does not compile on its own"
    # Every file the header includes, directly or not, one per line.
    $cxx -std=c++20 -M "${cflags[@]}" "$tmp/header.cpp" | tr ' \\' '\n\n' | grep -v '^$' >"$tmp/deps" ||
        fail "elvis/${header##*/}: no dependency list"
    if forbidden=$(grep -E '/liburing(\.h|/)|/boost/|/c\+\+/[0-9]+/(thread|condition_variable)$' "$tmp/deps"); then
        fail "elvis/${header##*/} includes $(tr '\n' ' ' <<<"$forbidden")"
    fi
    grep -q "$(at "$includedir")/elvis/" "$tmp/deps" || fail "elvis/${header##*/}: the dependency list misses itself"
done

# The README's Library example (the first ```cpp block after '## Library').
example=$tmp/example.cpp
awk '/^## Library/ { section = 1 } section && /^```cpp/ { inside = 1; next } inside && /^```/ { exit }
     inside { print }' "$src/README.md" >"$example"
[[ -s $example ]] || { fail "no \`\`\`cpp block in README's '## Library' section"; exit 1; }
expected=$'Elvis\'s favourite color\n2'
check_output() {  # name, program
    local output
    output=$("$2") || { fail "$1: the example failed"; return; }
    [[ $output == "$expected" ]] || fail "$1: the example printed '$output', expected '$expected'"
}

step "example with pkg-config"
if $cxx -std=c++20 -Wall -Wextra -Werror "${sanitize[@]}" "${cflags[@]}" "$example" -o "$tmp/example" "${libs[@]}"; then
    check_output pkg-config "$tmp/example"
else
    fail "pkg-config: the example does not build"
fi
read -ra static_libs <<<"$(pkg-config --libs --static elvis)"
if $cxx -std=c++20 "${sanitize[@]}" "${cflags[@]}" "$example" -o "$tmp/example-static" "${static_libs[@]}"; then
    check_output "pkg-config --static" "$tmp/example-static"
else
    fail "pkg-config --static: the example does not build"
fi

step "elvis.pc names every library libelvis.a needs (each object linked)"
echo 'int main() {}' >"$tmp/main.cpp"
whole=()
for arg in "${libs[@]}"; do
    if [[ $arg == -lelvis ]]; then whole+=("-Wl,--whole-archive" -lelvis "-Wl,--no-whole-archive"); else whole+=("$arg"); fi
done
if ! $cxx "${sanitize[@]}" "$tmp/main.cpp" -o "$tmp/whole" "${whole[@]}" 2>"$tmp/whole.log"; then
    grep -m5 'undefined reference' "$tmp/whole.log" >&2 || cat "$tmp/whole.log" >&2
    fail "linking all of libelvis.a with 'pkg-config --libs elvis' leaves undefined symbols: add the library to elvis.pc"
fi

step "example with meson: dependency('elvis')"
mkdir "$tmp/meson-user"
cp "$example" "$tmp/meson-user/example.cpp"
cat >"$tmp/meson-user/meson.build" <<'EOF'
project('elvis-user', 'cpp', default_options : ['cpp_std=c++20', 'warning_level=2', 'werror=true'])
executable('example', 'example.cpp', dependencies : dependency('elvis', version : '>= 0.1'))
EOF
if CXX=$cxx meson setup "$tmp/meson-user/build" "$tmp/meson-user" -Db_sanitize="$b_sanitize" >"$tmp/meson.log" 2>&1 &&
    ninja -C "$tmp/meson-user/build" >>"$tmp/meson.log" 2>&1; then
    check_output meson "$tmp/meson-user/build/example"
else
    cat "$tmp/meson.log" >&2
    fail "meson: the example does not build"
fi

step "example with CMake: pkg_check_modules(ELVIS IMPORTED_TARGET elvis)"
if command -v cmake >/dev/null; then
    mkdir "$tmp/cmake-user"
    cp "$example" "$tmp/cmake-user/example.cpp"
    cat >"$tmp/cmake-user/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.16)
project(elvis_user CXX)
set(CMAKE_CXX_STANDARD 20)
find_package(PkgConfig REQUIRED)
pkg_check_modules(ELVIS REQUIRED IMPORTED_TARGET elvis)
add_executable(example example.cpp)
target_link_libraries(example PRIVATE PkgConfig::ELVIS)
EOF
    flags=${sanitize[*]:-}
    if cmake -S "$tmp/cmake-user" -B "$tmp/cmake-user/build" -DCMAKE_CXX_COMPILER="${cxx%% *}" \
        -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" >"$tmp/cmake.log" 2>&1 &&
        cmake --build "$tmp/cmake-user/build" >>"$tmp/cmake.log" 2>&1; then
        check_output cmake "$tmp/cmake-user/build/example"
    else
        cat "$tmp/cmake.log" >&2
        fail "cmake: the example does not build"
    fi
else
    echo "cmake not installed: CMake use not checked"
fi

if ((failures)); then
    echo "install test: $failures failure(s)"
    exit 1
fi
echo "install test: all checks passed"

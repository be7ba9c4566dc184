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

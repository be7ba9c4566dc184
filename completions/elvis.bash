# bash completion for elvis(1). Installed as share/bash-completion/completions/elvis.
# Self-contained: uses only bash built-ins (compgen, compopt), not bash-completion's helpers.

_elvis() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local prev=
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    # bash splits --option=VALUE at '=': complete VALUE as the option's value.
    if [[ $cur == = ]]; then
        cur=
    elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
        prev=${COMP_WORDS[COMP_CWORD - 2]}
    fi
    local command=filter
    ((COMP_CWORD > 1)) && case ${COMP_WORDS[1]} in count | merge | help) command=${COMP_WORDS[1]} ;; esac

    local filter_options='-f --find -r --replace -E --escapes --must-match --rules -i --ignore-case --preserve-case -w --word -z --decompress --gzip-output --warc --warc-type --warc-lang --warc-digests --buffer-size --io --stats --trace
        -h --help -V --version --in-place --dry-run --diff --color --interactive --backup --no-fsync --force --hard-links --binary
        --hidden --follow --no-ignore --no-ignore-vcs -g --glob --iglob --files-from -0 --null -j --threads --shard --progress --no-progress'
    local count_options='-t --term --terms-file --rules -i --ignore-case --preserve-case -w --word --exclusive --records --doc-freq --warc --warc-type --warc-lang --per-record -l --files-with-matches --per-file --header --label --format
        --files-from -0 --null --shard -z --decompress --hidden --follow --no-ignore --no-ignore-vcs --files -g --glob --iglob -j --threads --buffer-size
        --split-threshold --io --stats --trace -h --help -V --version'

    # The value of the option before the cursor.
    case $command:$prev in
        *:--io) mapfile -t COMPREPLY < <(compgen -W 'auto uring posix' -- "$cur"); return ;;
        count:--format) mapfile -t COMPREPLY < <(compgen -W 'tsv json' -- "$cur"); return ;;
        filter:--color) mapfile -t COMPREPLY < <(compgen -W 'auto always never' -- "$cur"); return ;;
        filter:--hard-links) mapfile -t COMPREPLY < <(compgen -W 'refuse skip split' -- "$cur"); return ;;
        filter:--warc-digests) mapfile -t COMPREPLY < <(compgen -W 'recompute drop' -- "$cur"); return ;;
        *:--warc-type) mapfile -t COMPREPLY < <(compgen -W 'conversion response resource request metadata warcinfo revisit' -- "$cur"); return ;;
        filter:--rules | *:--files-from | *:--trace)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            return ;;
        filter:-f | filter:--find | filter:-r | filter:--replace | filter:--backup | *:-g | *:--glob | *:--iglob | *:--buffer-size | \
            *:-j | *:--threads | count:-t | count:--term | count:--records | count:--label | count:--split-threshold | *:--shard | *:--warc-lang)
            COMPREPLY=()
            return ;;
    esac

    case $command in
        help)
            ((COMP_CWORD == 2)) && mapfile -t COMPREPLY < <(compgen -W 'count merge' -- "$cur")
            return ;;
        merge)
            if [[ $prev == -T || $prev == --temporary-directory ]]; then
                compopt -o filenames 2>/dev/null
                mapfile -t COMPREPLY < <(compgen -d -- "$cur")
            elif [[ $cur == -* ]]; then
                mapfile -t COMPREPLY < <(compgen -W '--expect -T --temporary-directory -h --help -V --version' -- "$cur")
            else
                compopt -o filenames 2>/dev/null
                mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            fi
            return ;;
        count) [[ $cur == -* ]] && { mapfile -t COMPREPLY < <(compgen -W "$count_options" -- "$cur"); return; } ;;
        filter)
            if [[ $cur == -* ]]; then
                mapfile -t COMPREPLY < <(compgen -W "$filter_options" -- "$cur")
                return
            fi
            if ((COMP_CWORD == 1)); then
                compopt -o filenames 2>/dev/null
                mapfile -t COMPREPLY < <(compgen -W 'count merge help' -- "$cur"; compgen -f -- "$cur")
                return
            fi ;;
    esac
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
}

complete -F _elvis elvis

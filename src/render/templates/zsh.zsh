export TMPDIR={{TMPDIR}}
{{?TMP}}export TMP={{TMPDIR}}
{{?TEMP}}export TEMP={{TMPDIR}}
# The hook's code only in an interactive shell (see shell.rs): from
# `init zsh --hook-only`, or inline when init ran on a terminal.
{{#APART}}
{{?NOBASE}}[[ ! -o interactive ]] || \eval "$({{TMPGUARD}} init zsh --hook-only {{NORT}})"
{{?BASE}}[[ ! -o interactive ]] || \eval "$({{TMPGUARD}} init zsh --hook-only --base {{BASE}} {{NORT}})"
{{/APART}}
{{#INLINE}}
[[ ! -o interactive ]]||{
{{HOOKCODE}}}
{{/INLINE}}
# TMPDIR on a filesystem that may hang: the hook checks XDG_RUNTIME_DIR
# alone, TMPDIR being taken as the value it is quiet about (see shell.rs).
{{?REMOTE}}[[ ! -o interactive ]] || __tmpguard_failed=$TMPDIR

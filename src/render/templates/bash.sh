export TMPDIR={{TMPDIR}}
{{?TMP}}export TMP={{TMPDIR}}
{{?TEMP}}export TEMP={{TMPDIR}}
{{#APART}}
# The hook's code only in an interactive shell (see shell.rs), sourced from
# a process substitution: cheaper for bash than `eval "$(...)"`. The
# directive: the hook's code is checked on its own (--hook-only); it is
# short because an interactive bash pays for each byte, comments too.
# shellcheck source=/dev/null
{{?NOBASE}}[[ $- != *i* ]]||. <({{TMPGUARD}} init bash --hook-only {{NORT}})
{{?BASE}}[[ $- != *i* ]]||. <({{TMPGUARD}} init bash --hook-only --base {{BASE}} {{NORT}})
{{/APART}}
{{#INLINE}}
# Or inline, when init ran on a terminal (see shell.rs): a block, which an
# interactive bash parses once (a quoted string to eval would be scanned,
# then parsed again).
{{HOOKHEAD}}[[ $- != *i* ]]||{
{{HOOKCODE}}}
{{/INLINE}}
# TMPDIR on a filesystem that may hang: the hook checks XDG_RUNTIME_DIR
# alone, TMPDIR being taken as the value it is quiet about (see shell.rs).
{{?REMOTE}}[[ $- != *i* ]]||__tgf=$TMPDIR

set -gx TMPDIR {{TMPDIR}}
{{?TMP}}set -gx TMP {{TMPDIR}}
{{?TEMP}}set -gx TEMP {{TMPDIR}}
# The hook's code only in an interactive shell (see shell.rs): from
# `init fish --hook-only`, or inline when init ran on a terminal.
# What the check is (a kept job directory is root's) is decided here.
# `builtin source`: fish lets a function shadow `source` (not `test`, `set`,
# `string`, `eval`, `status`: reserved words).
{{#APART}}
{{?NOBASE}}if status is-interactive; set -g __tmpguard_check {{CHECK}}; {{TMPGUARD}} init fish --hook-only {{NORT}} | builtin source; end
{{?BASE}}if status is-interactive; set -g __tmpguard_check {{CHECK}}; {{TMPGUARD}} init fish --hook-only --base {{BASE}} {{NORT}} | builtin source; end
{{/APART}}
{{#INLINE}}
if status is-interactive; set -g __tmpguard_check {{CHECK}}
{{HOOKCODE}}end
{{/INLINE}}
# TMPDIR on a filesystem that may hang: the hook checks XDG_RUNTIME_DIR
# alone, TMPDIR being taken as the value it is quiet about (see shell.rs).
{{?REMOTE}}status is-interactive; and set -g __tmpguard_failed $TMPDIR

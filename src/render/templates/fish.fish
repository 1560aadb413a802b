set -gx TMPDIR {{TMPDIR}}
{{?TMP}}set -gx TMP {{TMPDIR}}
{{?TEMP}}set -gx TEMP {{TMPDIR}}
{{#HOOK}}
# The hook's code only in an interactive shell (see shell.rs).
# What the check is (a kept job directory is root's) is decided here.
{{?NOBASE}}if status is-interactive; set -g __tmpguard_check {{CHECK}}; {{TMPGUARD}} init fish --hook-only {{NORT}} | source; end
{{?BASE}}if status is-interactive; set -g __tmpguard_check {{CHECK}}; {{TMPGUARD}} init fish --hook-only --base {{BASE}} {{NORT}} | source; end
{{/HOOK}}

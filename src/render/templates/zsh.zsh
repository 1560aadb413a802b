export TMPDIR={{TMPDIR}}
{{?TMP}}export TMP={{TMPDIR}}
{{?TEMP}}export TEMP={{TMPDIR}}
{{#HOOK}}
# The hook's code only in an interactive shell (see shell.rs).
{{?NOBASE}}[[ ! -o interactive ]] || \eval "$({{TMPGUARD}} init zsh --hook-only {{NORT}})"
{{?BASE}}[[ ! -o interactive ]] || \eval "$({{TMPGUARD}} init zsh --hook-only --base {{BASE}} {{NORT}})"
{{/HOOK}}

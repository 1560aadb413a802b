export TMPDIR={{TMPDIR}}
{{?TMP}}export TMP={{TMPDIR}}
{{?TEMP}}export TEMP={{TMPDIR}}
{{#HOOK}}
[[ ! -o interactive ]] || { \typeset -g __tmpguard_exe={{TMPGUARD}} __tmpguard_base={{BASE}}; \emulate zsh -o no_aliases -c {{HOOKCODE}}; }
{{/HOOK}}

export TMPDIR={{TMPDIR}}
{{?TMP}}export TMP={{TMPDIR}}
{{?TEMP}}export TEMP={{TMPDIR}}
{{#HOOK}}
[[ $- != *i* ]] || { __tmpguard_exe={{TMPGUARD}} __tmpguard_base={{BASE}}; eval {{HOOKCODE}}; }
{{/HOOK}}

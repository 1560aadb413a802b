export TMPDIR={{TMPDIR}}
{{?TMP}}export TMP={{TMPDIR}}
{{?TEMP}}export TEMP={{TMPDIR}}

set-env TMPDIR {{TMPDIR}}
{{?TMP}}set-env TMP {{TMPDIR}}
{{?TEMP}}set-env TEMP {{TMPDIR}}
{{?RUNTIME}}set-env XDG_RUNTIME_DIR {{RUNTIME}}
{{?UNSETRUNTIME}}unset-env XDG_RUNTIME_DIR

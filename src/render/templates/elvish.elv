set-env TMPDIR {{TMPDIR}}
{{?TMP}}set-env TMP {{TMPDIR}}
{{?TEMP}}set-env TEMP {{TMPDIR}}

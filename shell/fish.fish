set -gx TMPDIR {{TMPDIR}}
{{?TMP}}set -gx TMP {{TMPDIR}}
{{?TEMP}}set -gx TEMP {{TMPDIR}}

setenv TMPDIR {{TMPDIR}};
{{?TMP}}setenv TMP {{TMPDIR}};
{{?TEMP}}setenv TEMP {{TMPDIR}};

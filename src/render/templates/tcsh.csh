setenv TMPDIR {{TMPDIR}};
{{?TMP}}setenv TMP {{TMPDIR}};
{{?TEMP}}setenv TEMP {{TMPDIR}};
{{#HOOK}}
# ``eval "`...`"`` runs all of this as one joined line, and tcsh expands
# every variable of a command before running it (an unset one is an error,
# even behind a false `if`): so no if/then blocks, and each step whose
# variables may be unset is an alias reached by `eval NAME` after a
# one-line `if` on `$?VAR`. The aliases exist only in interactive shells.
if ( $?prompt ) set __tmpguard_exe={{TMPGUARD}} __tmpguard_check={{CHECK}} __tmpguard_base={{BASE}};
# Builtins only at a prompt: a file test, no fork.
if ( $?prompt ) alias __tmpguard_hook 'if ( $?TMPDIR ) eval __tmpguard_test';
if ( $?prompt ) alias __tmpguard_test 'if ( "x$TMPDIR" != x && ! ( -d "$TMPDIR" && ! -l "$TMPDIR" && ( $__tmpguard_check == job || -o "$TMPDIR" ) ) ) eval __tmpguard_repair';
# The binary only when the check failed. (An alias inside the backquotes: a
# quoted variable there would end the outer quotes.)
{{?NOBASE}}if ( $?prompt ) alias __tmpguard_run '"$__tmpguard_exe" init tcsh';
{{?BASE}}if ( $?prompt ) alias __tmpguard_run '"$__tmpguard_exe" init tcsh --base "$__tmpguard_base"';
if ( $?prompt ) alias __tmpguard_repair 'set __tmpguard_code="`__tmpguard_run`"; if ( $status || "$__tmpguard_code" == "" ) eval __tmpguard_unset; eval "$__tmpguard_code"; unset __tmpguard_code';
# A TMPDIR that failed verification is not left in place: unset it (and
# TMP/TEMP when they hold the same value); with TMPDIR unset the hook is
# quiet until TMPDIR is set again.
if ( $?prompt ) alias __tmpguard_unset 'if ( $?TMP ) eval __tmpguard_unset_tmp; if ( $?TEMP ) eval __tmpguard_unset_temp; unsetenv TMPDIR; set __tmpguard_code';
if ( $?prompt ) alias __tmpguard_unset_tmp 'if ( "x$TMP" == "x$TMPDIR" ) unsetenv TMP';
if ( $?prompt ) alias __tmpguard_unset_temp 'if ( "x$TEMP" == "x$TMPDIR" ) unsetenv TEMP';
# Run first in precmd, keeping the user's precmd alias, once only.
if ( $?prompt ) alias __tmpguard_register 'set __tmpguard_pc="`alias precmd`"; if ( "$__tmpguard_pc" !~ *__tmpguard_hook* ) alias precmd "__tmpguard_hook; $__tmpguard_pc"; unset __tmpguard_pc';
if ( $?prompt ) eval __tmpguard_register;
{{/HOOK}}

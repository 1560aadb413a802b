setenv TMPDIR {{TMPDIR}};
{{?TMP}}setenv TMP {{TMPDIR}};
{{?TEMP}}setenv TEMP {{TMPDIR}};
{{#HOOK}}
# ``eval "`...`"`` runs all of this as one joined line, and tcsh expands
# every variable of a command before running it (an unset one is an error,
# even behind a false `if`): so no if/then blocks, and each step whose
# variables may be unset is an alias reached by `eval NAME` after a
# one-line `if` on `$?VAR`. The aliases exist only in interactive shells.
if ( $?prompt ) set __tmpguard_exe={{TMPGUARD}} __tmpguard_check={{CHECK}} __tmpguard_base={{BASE}} __tmpguard_id={{ID}} __tmpguard_rid={{RID}} __tmpguard_x= __tmpguard_off=;
if ( $?prompt ) unset __tmpguard_link __tmpguard_tmp __tmpguard_temp;
{{?TMP}}if ( $?prompt ) set __tmpguard_tmp;
{{?TEMP}}if ( $?prompt ) set __tmpguard_temp;
# tcsh cannot hold a descriptor, but `-F` gives device:inode: the check
# compares it with what init verified (a mount over the name has another
# device; a re-created directory, which may reuse the inode number, must
# still be the user's), builtins only. A TMPDIR that was the user's own
# symlink when loaded may stay one.
if ( $?prompt && -l "$TMPDIR" ) set __tmpguard_link;
# TMPDIR on a filesystem that may hang: the hook checks XDG_RUNTIME_DIR
# alone; TMPDIR is not looked at while it holds this value (see shell.rs).
{{?REMOTE}}if ( $?prompt ) set __tmpguard_off="$TMPDIR";
if ( $?prompt ) alias __tmpguard_bad 'if ( -F "$TMPDIR" != "$__tmpguard_id" || ( ! $?__tmpguard_link && -l "$TMPDIR" ) || ( $__tmpguard_check != job && ! -o "$TMPDIR" ) ) set __tmpguard_bad';
# At the prompt (precmd): the check, the full repair when it fails, and
# postcmd kept in step with TMPDIR being set. Commands run by `eval` run
# postcmd first (tcsh): `__tmpguard_busy` tells it to stand aside, and with
# TMPDIR unset it must be switched off without `eval`.
if ( $?prompt ) alias __tmpguard_hook 'if ( ! $?TMPDIR && $?__tmpguard_on && "x$__tmpguard_upost" == x ) unalias postcmd; if ( ! $?TMPDIR && $?__tmpguard_on && "x$__tmpguard_upost" != x ) alias postcmd "$__tmpguard_upost"; if ( ! $?TMPDIR ) unset __tmpguard_on; set __tmpguard_busy; if ( $?TMPDIR ) eval __tmpguard_test; if ( $?TMPDIR && ! $?__tmpguard_on ) eval __tmpguard_on; set __tmpguard_x=; if ( $?XDG_RUNTIME_DIR ) eval __tmpguard_xset; unset __tmpguard_busy';
# XDG_RUNTIME_DIR (the device:inode init recorded, __tmpguard_rid; empty
# with --no-runtime-dir or when init left it unset): checked the same way,
# repaired by the same init run. postcmd cannot repair it: a failed check
# there takes it away (__tmpguard_xgone) and the next prompt repairs it.
# postcmd reads it from __tmpguard_x, which precmd keeps (an unset
# environment variable cannot appear in postcmd's line).
# (Its verdict is __tmpguard_xgone: each `eval` runs postcmd first, which
# clears __tmpguard_bad.)
if ( $?prompt ) alias __tmpguard_test 'if ( $?XDG_RUNTIME_DIR ) eval __tmpguard_rbad; unset __tmpguard_bad; if ( "x$TMPDIR" != x && "x$TMPDIR" != "x$__tmpguard_off" ) eval __tmpguard_bad; if ( $?__tmpguard_xgone ) set __tmpguard_bad; if ( $?__tmpguard_bad ) eval __tmpguard_repair; unset __tmpguard_bad __tmpguard_xgone';
if ( $?prompt ) alias __tmpguard_rbad 'if ( "x$__tmpguard_rid" != x && "x$XDG_RUNTIME_DIR" != x ) if ( -F "$XDG_RUNTIME_DIR" != "$__tmpguard_rid" || -l "$XDG_RUNTIME_DIR" || ! -o "$XDG_RUNTIME_DIR" ) set __tmpguard_xgone';
if ( $?prompt ) alias __tmpguard_xset 'set __tmpguard_x="$XDG_RUNTIME_DIR"';
# The binary only when the check failed. (An alias inside the backquotes: a
# quoted variable there would end the outer quotes.)
{{?NOBASE}}if ( $?prompt ) alias __tmpguard_run '"$__tmpguard_exe" init tcsh {{NORT}}';
{{?BASE}}if ( $?prompt ) alias __tmpguard_run '"$__tmpguard_exe" init tcsh --base "$__tmpguard_base" {{NORT}}';
if ( $?prompt ) alias __tmpguard_fid 'filetest -F "$TMPDIR"';
{{?NOBASE}}if ( $?prompt ) alias __tmpguard_path '"$__tmpguard_exe" path';
{{?BASE}}if ( $?prompt ) alias __tmpguard_path '"$__tmpguard_exe" path --base "$__tmpguard_base"';
# What init prints is evaluated even when it fails: it takes away what it
# judged unsafe (`unsetenv XDG_RUNTIME_DIR`), and the XDG_RUNTIME_DIR it
# left is the one checked after (when it ran: tcsh's status for a missing
# command is 1 too, so the binary must be there).
if ( $?prompt ) alias __tmpguard_repair 'set __tmpguard_code="`__tmpguard_run`"; set __tmpguard_st=$status; eval "$__tmpguard_code"; if ( $__tmpguard_st && -x "$__tmpguard_exe" && $?XDG_RUNTIME_DIR ) set __tmpguard_rid="`__tmpguard_rfid`"; if ( $__tmpguard_st || "$__tmpguard_code" == "" ) eval __tmpguard_unset; unset __tmpguard_code __tmpguard_st';
if ( $?prompt ) alias __tmpguard_rfid 'filetest -F "$XDG_RUNTIME_DIR"';
# A TMPDIR that failed verification is not left in place: unset it (and
# TMP/TEMP when they hold the same value); with TMPDIR unset the hook is
# quiet until TMPDIR is set again.
if ( $?prompt ) alias __tmpguard_unset '__tmpguard_postoff; if ( $?TMP ) eval __tmpguard_unset_tmp; if ( $?TEMP ) eval __tmpguard_unset_temp; unsetenv TMPDIR; set __tmpguard_code';
if ( $?prompt ) alias __tmpguard_unset_tmp 'if ( "x$TMP" == "x$TMPDIR" ) unsetenv TMP';
if ( $?prompt ) alias __tmpguard_unset_temp 'if ( "x$TEMP" == "x$TMPDIR" ) unsetenv TEMP';
# Before each command line (postcmd). `eval` and `source` there would run
# postcmd again inside itself, which tcsh takes for an error and removes
# it: so one-line `if`s only, and only while TMPDIR is set (precmd
# switches it). A failed check takes `tmpguard path` at once (empty on
# failure, which programs ignore) for TMPDIR and the TMP/TEMP init set,
# and records its identity; the next prompt's check follows.
if ( $?prompt ) alias __tmpguard_post 'unset __tmpguard_bad; if ( ! $?__tmpguard_busy && "x$TMPDIR" != "x$__tmpguard_off" ) if ( -F "$TMPDIR" != "$__tmpguard_id" || ( ! $?__tmpguard_link && -l "$TMPDIR" ) || ( $__tmpguard_check != job && ! -o "$TMPDIR" ) ) set __tmpguard_bad; if ( $?__tmpguard_bad ) setenv TMPDIR "`__tmpguard_path`"; if ( $?__tmpguard_bad ) set __tmpguard_id="`__tmpguard_fid`"; if ( $?__tmpguard_bad && $?__tmpguard_tmp ) setenv TMP "$TMPDIR"; if ( $?__tmpguard_bad && $?__tmpguard_temp ) setenv TEMP "$TMPDIR"; unset __tmpguard_bad; if ( ! $?__tmpguard_busy ) if ( "x$__tmpguard_rid" != x && "x$__tmpguard_x" != x ) if ( -F "$__tmpguard_x" != "$__tmpguard_rid" || -l "$__tmpguard_x" || ! -o "$__tmpguard_x" ) set __tmpguard_bad; if ( $?__tmpguard_bad ) unsetenv XDG_RUNTIME_DIR; if ( $?__tmpguard_bad ) set __tmpguard_xgone __tmpguard_x=; unset __tmpguard_bad';
if ( $?prompt ) alias __tmpguard_on 'set __tmpguard_on; alias postcmd "__tmpguard_post; $__tmpguard_upost"';
if ( $?prompt ) alias __tmpguard_postoff 'unset __tmpguard_on; if ( "x$__tmpguard_upost" == x ) unalias postcmd; if ( "x$__tmpguard_upost" != x ) alias postcmd "$__tmpguard_upost"';
# (An alias cannot follow a one-line `if`, so postcmd spells the check out.)
# Run first in precmd and postcmd, keeping the user's aliases, once only.
if ( $?prompt ) alias __tmpguard_register 'set __tmpguard_pc="`alias precmd`"; if ( "$__tmpguard_pc" !~ *__tmpguard_hook* ) alias precmd "__tmpguard_hook; $__tmpguard_pc"; set __tmpguard_pc="`alias postcmd`"; if ( "$__tmpguard_pc" !~ *__tmpguard_post* ) set __tmpguard_upost="$__tmpguard_pc"; unset __tmpguard_pc __tmpguard_on; eval __tmpguard_on';
if ( $?prompt && ! $?__tmpguard_upost ) set __tmpguard_upost;
if ( $?prompt ) eval __tmpguard_register;
if ( $?prompt && $?XDG_RUNTIME_DIR ) eval __tmpguard_xset;
{{/HOOK}}

# bash, interactive shells only. init prints this quoted, inside `eval '...'`
# behind an `$-` test: a non-interactive shell only scans one string (see
# shell.rs). Assignments stay global (no declare/local at this level): a
# repair evaluates this inside a function, and so does an older release's hook.
# Our functions are parsed without the user's aliases (`local`, `return`, `test`).
if [[ :$BASHOPTS: == *:expand_aliases:* ]]; then \shopt -u expand_aliases; __tmpguard_al=1; else __tmpguard_al=; fi
__tmpguard_failed=
# The directory init verified, held open: the check compares identity (-ef
# with /dev/fd/N), which a directory removed and re-created, or a mount over
# the name, fails. A TMPDIR that was the user's own symlink stays allowed to be one.
__tmpguard_hold() {
  if [[ -n ${__tmpguard_fd-} ]]; then exec {__tmpguard_fd}<&-; fi
  __tmpguard_fd= __tmpguard_link=
  if [[ -n ${TMPDIR-} ]] && { exec {__tmpguard_fd}<"$TMPDIR"; } 2>/dev/null; then
    if [[ -L $TMPDIR ]]; then __tmpguard_link=1; fi
  else
    __tmpguard_fd=
  fi
}
# True when all is well (or TMPDIR is the value a repair already gave up on): builtins only.
__tmpguard_ok() {
  [[ ${TMPDIR-} == "${__tmpguard_failed-}" || ( -n ${__tmpguard_fd-} && $TMPDIR -ef /dev/fd/$__tmpguard_fd && ( -n $__tmpguard_link || ! -L $TMPDIR ) ) ]]
}
# A TMPDIR that failed verification is not left in place: unset it (and
# TMP/TEMP when they hold the same value) and stay quiet until it changes.
__tmpguard_unset() {
  if [[ ${TMP-} == "${TMPDIR-}" ]]; then unset TMP; fi
  if [[ ${TEMP-} == "${TMPDIR-}" ]]; then unset TEMP; fi
  unset TMPDIR
  __tmpguard_failed=
  __tmpguard_hold
}
# The binary only when the check failed; --base stays one argument whatever IFS is.
__tmpguard_repair() {
  local code a=(init bash)
  if [[ -n ${__tmpguard_base-} ]]; then a+=(--base "$__tmpguard_base"); fi
  if code=$("$__tmpguard_exe" "${a[@]}") && eval "$code"; then :; else __tmpguard_unset; fi
}
# Before each command line: acts once per line (PS0 counts lines), returns 0
# (under extdebug a non-zero DEBUG trap would skip the user's command).
# Called with "$_" by the trap, so that $_ survives.
__tmpguard_preexec() {
  if [[ ${__tmpguard_line-} != "${__tmpguard_done-}" ]]; then
    __tmpguard_done=${__tmpguard_line-}
    __tmpguard_ok || __tmpguard_repair
  fi
  return 0
}
# At the prompt. Registered as `__tmpguard_hook "$_" && : "$_"`: it returns
# the command's status for later PROMPT_COMMAND entries and keeps $_, and
# errexit ignores a failure before `&&`. (Called without arguments, as an
# older release registered it, it returns 0.)
__tmpguard_hook() {
  local s=$?
  __tmpguard_done=${__tmpguard_line-}
  __tmpguard_ok || __tmpguard_repair
  if [[ -n $__tmpguard_ps0 && ${PS0-} != *__tmpguard_line* ]]; then PS0=${PS0-}$__tmpguard_ps0; fi
  if [[ -z ${__tmpguard_bp-} && "${preexec_functions[*]-}" == *__bp_original_debug_trap* ]]; then
    __tmpguard_bp=1
    trap -- "$__tmpguard_guard"$'\n''__bp_preexec_invoke_exec "$_"' DEBUG
  fi
  if (($#)); then return "$s"; fi
  return 0
}
: "${__tmpguard_line:=0}"
__tmpguard_done=$__tmpguard_line
# PS0 is expanded once per command line read, after reading it: a counter
# there (no fork) tells the DEBUG trap which firing is a new line's first.
# Not with promptvars off (PS0 would print literally) nor a readonly PS0.
__tmpguard_ps0= __tmpguard_a=
if [[ -v PS0 ]]; then __tmpguard_a=${PS0@a}; fi
if [[ :$BASHOPTS: == *:promptvars:* && $__tmpguard_a != *r* ]]; then
  __tmpguard_ps0='${PS0:$((__tmpguard_line+=1,0)):0}'
  if [[ ${PS0-} != *__tmpguard_line* ]]; then PS0=${PS0-}$__tmpguard_ps0; fi
fi
# Before each command: a DEBUG trap, chained before any trap already set
# (the user's, whose status under extdebug still decides, or bash-preexec's).
# bash-preexec's preexec_functions alone would not do: it skips them when
# stdout is not a terminal (`cmd > file`). bash-preexec loaded later takes
# this trap into its preexec_functions: the prompt hook then puts the guard
# back in front of bash-preexec's trap (once). With bash-preexec loaded, the
# check is in its preexec_functions too (a no-op after the guard).
__tmpguard_guard='[[ ${__tmpguard_line-} == "${__tmpguard_done-}" ]] || __tmpguard_preexec "$_"'
__tmpguard_t=$(trap -p DEBUG)
if [[ $__tmpguard_t != *__tmpguard_preexec* ]]; then
  eval "__tmpguard_t=(${__tmpguard_t})"
  __tmpguard_t[1]=$__tmpguard_guard
  # (No trap prints as `-` in posix mode.)
  if [[ -n ${__tmpguard_t[2]-} && ${__tmpguard_t[2]} != - ]]; then __tmpguard_t[1]+=$'\n'${__tmpguard_t[2]}; fi
  trap -- "${__tmpguard_t[1]}" DEBUG
fi
unset __tmpguard_t
if [[ -n ${bash_preexec_imported-}${__bp_imported-} && "${preexec_functions[*]-}" != *__tmpguard_preexec* ]]; then
  preexec_functions+=(__tmpguard_preexec)
fi
# At the prompt: once, wherever another tool moved PROMPT_COMMAND's old value
# (starship, liquidprompt, bash-preexec). Not into a readonly or exported
# PROMPT_COMMAND (child shells without us would run it): the check before
# each command still runs. Two newlines: a trailing `\` cannot swallow us.
__tmpguard_a=
if [[ -v PROMPT_COMMAND ]]; then __tmpguard_a=${PROMPT_COMMAND@a}; fi
if [[ "${PROMPT_COMMAND[*]-}${STARSHIP_PROMPT_COMMAND-}${LP_OLD_PROMPT_COMMAND-}${precmd_functions[*]-}" != *__tmpguard_hook* && $__tmpguard_a != *[rx]* ]]; then
  if [[ $__tmpguard_a == *a* ]]; then
    PROMPT_COMMAND+=('__tmpguard_hook "$_" && : "$_"')
  else
    PROMPT_COMMAND=${PROMPT_COMMAND:+$PROMPT_COMMAND$'\n\n'}'__tmpguard_hook "$_" && : "$_"'
  fi
fi
unset __tmpguard_a
__tmpguard_hold
if [[ -n $__tmpguard_al ]]; then \shopt -s expand_aliases; fi

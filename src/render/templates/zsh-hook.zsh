# zsh, interactive shells only: `init zsh --hook-only` prints this, and
# init's output evaluates it behind an interactive test (see shell.rs).
# All of it runs under `emulate zsh -o no_aliases -c`, so the functions
# defined here keep zsh's options when they run (sticky emulation:
# ksh_arrays, sh_word_split, no_unset, warn_create_global, err_exit of the
# user's do not reach them) and the user's aliases do not change them.
# Globals are declared with -g: a repair (and an older release's hook)
# evaluates this inside a function.
\typeset -g __tmpguard_exe={{TMPGUARD}} __tmpguard_base={{BASE}} __tmpguard_nort={{NORT}}
\emulate zsh -o no_aliases -c '
typeset -g __tmpguard_failed= __tmpguard_fd= __tmpguard_link= __tmpguard_rt=${__tmpguard_rt-}
# The directory init verified, held open: the check compares identity (-ef
# with /dev/fd/N), which a directory removed and re-created, or a mount over
# the name, fails. A TMPDIR that was the user's own symlink may stay one.
__tmpguard_hold() {
  if [[ -n $__tmpguard_fd ]]; then exec {__tmpguard_fd}<&-; fi
  __tmpguard_fd= __tmpguard_link=
  if [[ -n ${TMPDIR-} ]] && { exec {__tmpguard_fd}<$TMPDIR } 2>/dev/null; then
    if [[ -L $TMPDIR ]]; then __tmpguard_link=1; fi
  else
    __tmpguard_fd=
  fi
  if [[ -n $__tmpguard_rt ]]; then exec {__tmpguard_rt}<&-; fi
  __tmpguard_rt=
  if [[ -z $__tmpguard_nort && -n ${XDG_RUNTIME_DIR-} ]] && { exec {__tmpguard_rt}<$XDG_RUNTIME_DIR } 2>/dev/null; then :; else
    __tmpguard_rt=
  fi
}
# True when all is well (or TMPDIR is the value a repair gave up on): builtins only.
# XDG_RUNTIME_DIR: unset and not held, or held and the same; one set since
# (by the user, or after a repair that took it away) fails once: the repair
# judges it.
__tmpguard_ok() {
  [[ ${TMPDIR-} == "$__tmpguard_failed" || ( -n $__tmpguard_fd && $TMPDIR -ef /dev/fd/$__tmpguard_fd && ( -n $__tmpguard_link || ! -L $TMPDIR ) ) ]] &&
    [[ -n $__tmpguard_nort || ( -z $__tmpguard_rt && -z ${XDG_RUNTIME_DIR-} ) || ( -n $__tmpguard_rt && ${XDG_RUNTIME_DIR-} -ef /dev/fd/$__tmpguard_rt && ! -L $XDG_RUNTIME_DIR ) ]]
}
# A TMPDIR that failed verification is not left in place: unset it (and
# TMP/TEMP when they hold the same value) and stay quiet until it changes.
# XDG_RUNTIME_DIR is held again as init left it.
__tmpguard_unset() {
  if [[ ${TMP-} == "${TMPDIR-}" ]]; then unset TMP; fi
  if [[ ${TEMP-} == "${TMPDIR-}" ]]; then unset TEMP; fi
  unset TMPDIR
  __tmpguard_failed=
  __tmpguard_hold
}
# The binary only when the check failed; --base stays one argument. What
# init prints is evaluated even when it fails (status 1: it ran; not when
# gone or killed): it takes away what it judged unsafe (`unset
# XDG_RUNTIME_DIR`).
__tmpguard_repair() {
  local code s
  local -a a
  a=(init zsh)
  if [[ -n $__tmpguard_base ]]; then a+=(--base $__tmpguard_base); fi
  if [[ -n $__tmpguard_nort ]]; then a+=(--no-runtime-dir); fi
  code=$($__tmpguard_exe $a)
  s=$?
  if (( s < 2 )) && eval $code && (( ! s )); then :; else __tmpguard_unset; fi
}
# At the prompt (precmd) and before each command line (preexec). zsh keeps
# $? across hooks; returning 0 keeps err_exit from ever firing.
__tmpguard_hook() {
  __tmpguard_ok || __tmpguard_repair
  return 0
}
# Once each, without deleting or reordering anyone else's hook.
typeset -ga precmd_functions preexec_functions
precmd_functions=("${(@)precmd_functions:#__tmpguard_hook}" __tmpguard_hook)
preexec_functions=("${(@)preexec_functions:#__tmpguard_hook}" __tmpguard_hook)
__tmpguard_hold
'

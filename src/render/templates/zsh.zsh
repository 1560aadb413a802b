export TMPDIR={{TMPDIR}}
{{?TMP}}export TMP={{TMPDIR}}
{{?TEMP}}export TEMP={{TMPDIR}}
{{#HOOK}}
if [[ -o interactive ]]; then
typeset -g __tmpguard_check={{CHECK}} __tmpguard_failed= __tmpguard_base={{BASE}}
# A TMPDIR that failed verification is not left in place: unset it (and
# TMP/TEMP when they hold the same value) and stay quiet until it changes.
__tmpguard_unset() {
  if [[ ${TMP-} == "${TMPDIR-}" ]]; then unset TMP; fi
  if [[ ${TEMP-} == "${TMPDIR-}" ]]; then unset TEMP; fi
  unset TMPDIR
  __tmpguard_failed=
}
__tmpguard_hook() {
  local s=$? code
  if [[ ${TMPDIR-} != "$__tmpguard_failed" ]] && ! [[ -d ${TMPDIR-} && ! -L ${TMPDIR-} && ( $__tmpguard_check == job || -O ${TMPDIR-} ) ]]; then
    if code=$({{TMPGUARD}} init zsh ${__tmpguard_base:+--base} ${__tmpguard_base:+$__tmpguard_base}) && eval "$code"; then :; else __tmpguard_unset; fi
  fi
  return $s
}
typeset -ga precmd_functions
precmd_functions=(${precmd_functions:#__tmpguard_hook} __tmpguard_hook)
fi
{{/HOOK}}

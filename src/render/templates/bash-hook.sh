# bash, interactive shells only: `init bash --hook-only` prints this, and
# init's output evaluates it behind an `$-` test (see shell.rs). It is terse
# on purpose: an interactive bash pays about 1,000 instructions a byte to
# read, parse, copy and run it (tests/cost.rs holds the budget). One
# function, __tmpguard_hook, is what other code sees (PROMPT_COMMAND, the
# DEBUG trap, an older release's PROMPT_COMMAND entry); the rest is __tg*.
# Each top-level simple command costs an interactive bash some 12,000
# instructions: few commands, assignments grouped. Assignments stay global (no declare/local at this level): a repair
# evaluates this inside the function, and so does an older release's hook.
# Builtins a user may alias (`local`, `return`) are written quoted.
#
# __tmpguard_hook [p|t] [$_]: the check. The directory init verified is held
# open (__tgd) and compared by identity (-ef with /dev/fd/N, an fstat), which
# a directory removed and re-created, or a mount over the name, fails; a
# TMPDIR that was the user's own symlink (init judged it) may stay one
# (__tgl). Builtins only when all is well, or when TMPDIR is the value a
# failed repair left (unset: quiet until it changes, __tgf). Else init runs
# again (--base=DIR: one argument whatever IFS is) and its code is evaluated,
# which evaluates this again; if that fails TMPDIR is not left in place,
# nor TMP/TEMP with its value. What init printed when it failed (status 1:
# it ran) is evaluated too: it takes away what it judged unsafe (`unset
# XDG_RUNTIME_DIR`, TMPDIR=/tmp), and XDG_RUNTIME_DIR as it left it is held
# (__tgu): the hook is quiet after, until something changes. (`$?` there is
# init's status: `&&` skipped the eval.) Not run (gone, killed: above 1),
# nothing is evaluated.
# XDG_RUNTIME_DIR (unless --no-runtime-dir, the NORT slot): set, it is held
# open too (__tgu) and compared by identity, and must not be a symlink, else
# the same repair (init handles it). Set after loading (unset then), it
# fails the check once: the repair judges it. The check is a string (__tgw),
# evaluated: cheaper to load.
# It also puts back a PS0 another tool replaced, and its guard in front of
# bash-preexec's DEBUG trap when bash-preexec, loaded after, took our trap
# into its preexec_functions (which it skips when stdout is not a terminal:
# `cmd > file`).
# With `p` (PROMPT_COMMAND's `__tmpguard_hook p "$_" && : "$_"`) it returns
# the command's status for later entries, keeps $_, and errexit ignores a
# failure before `&&`. Otherwise (the DEBUG trap's `t`; bare) it returns 0:
# under extdebug a failing DEBUG trap skips the command.
# Code that runs only on a failed check (__tgr) or at the prompt (__tgk) is
# kept in strings and evaluated then: scanning a string is cheaper than
# parsing, copying and storing a function body. __tgk puts PS0's counter
# back when another tool replaced PS0, and the guard back in front of the
# DEBUG trap (one `trap -p`, a fork, then only) when a line went by without
# it (another tool set its own trap: liquidprompt does; or the line was a
# bare subshell), or when bash-preexec, loaded after, took our trap into its
# preexec_functions (which it skips when stdout is not a terminal:
# `cmd > file`).
# Before each command line: PS0, expanded once per line read, counts lines
# (__tgn, no fork); the DEBUG trap's guard (__tgg) acts at a new line's
# first firing (__tgo: the line checked; an arithmetic test, the cheapest:
# the trap runs before every simple command at top level).
# The directive below is for the whole file (one line: each costs an
# interactive bash): code is kept in single-quoted strings on purpose
# (SC2016); variables set here are read by that code once evaluated, or by
# the DEBUG trap (SC2034); PROMPT_COMMAND is assigned as a string only when
# it is not an array (no `a` among __tga's flags; SC2128, SC2178).
# shellcheck disable=SC2016,SC2034,SC2128,SC2178
__tgx={{TMPGUARD}} __tgb={{BASE}} __tgf='' __tgl='' __tgp='${PS0:$((__tgn+=1,0)):0}' __tgn=${__tgn:-0} __tgo=${__tgn:-0} __tgr='c=$("$__tgx" init bash ${__tgb:+"--base=$__tgb"} {{NORT}})&&eval "$c"||{ (($?>1))||{ eval "$c";exec {__tgu}<&- {__tgu}<"${XDG_RUNTIME_DIR:-/}";} 2>/dev/null;[[ ${TMP-} != "${TMPDIR-}" ]]||unset TMP;[[ ${TEMP-} != "${TMPDIR-}" ]]||unset TEMP;unset TMPDIR;__tgf=;[[ -z $__tgd ]]||exec {__tgd}<&-;__tgd=;}' __tgk='[[ -z $__tgp || ${PS0-} == *__tgn* ]]||PS0+=$__tgp;((o==__tgn))&&[[ -n ${__tgq-} || "${preexec_functions[*]-}" != *__bp_original_debug_trap* ]]||{ __tgq=1 c=$(trap -p DEBUG);[[ $c == *__tmpguard_hook* ]]||{ eval "c=($c)";trap -- "$__tgg${c[2]:+
${c[2]#-}}" DEBUG;};}' __tgg='((__tgn==__tgo))||__tmpguard_hook t "$_"' __tgw='[[ ${TMPDIR-} == "$__tgf" || ( -n $__tgd && $TMPDIR -ef /dev/fd/$__tgd && ( -n $__tgl || ! -L $TMPDIR ) ) ]]&&[[ -n "{{NORT}}" || -z ${XDG_RUNTIME_DIR-} || $XDG_RUNTIME_DIR -ef /dev/fd/$__tgu && ! -L $XDG_RUNTIME_DIR ]]' __tga=${PROMPT_COMMAND[*]@A} __tga=${__tga%%=*} __tgt=
__tmpguard_hook(){ \local s=$? c o=$__tgo;__tgo=${__tgn-};eval "$__tgw"||eval "$__tgr";[[ $1 != p ]]||{ eval "$__tgk";\return $s;};}
# Hold TMPDIR and XDG_RUNTIME_DIR open, closing what an earlier load held
# (an older release's held no __tgu: that close fails, quietly). One group,
# one redirection of stderr: each costs. Unset, XDG_RUNTIME_DIR holds `/`,
# unused (the check does not look at an unset one): no test, cheaper.
{ [[ -z ${__tgd-} ]]||exec {__tgd}<&- {__tgu}<&-;[[ ! -L $TMPDIR ]]||__tgl=1;exec {__tgd}<"$TMPDIR" {__tgu}<"${XDG_RUNTIME_DIR:-/}";} 2>/dev/null||__tgd=
# PS0's counter: not with promptvars off (PS0 would print) nor into a
# readonly PS0.
\shopt -q promptvars&&[[ ${PS0[*]@a} != *r* ]]||__tgp=
[[ -z $__tgp || ${PS0-} == *__tgn* ]]||PS0+=$__tgp
# At the prompt: once, wherever another tool moved PROMPT_COMMAND's old value
# (starship, liquidprompt, bash-preexec). Not into a readonly or exported
# PROMPT_COMMAND (child shells without us would run it): the check before
# each command still runs. Its attributes (__tga) from `@A` up to the first
# `=` (`declare -ar PROMPT_COMMAND`; the flags are the only lower-case
# letters after a `-`), which shows an empty array's, or an unset
# readonly's, under `set -u` too (`${X[*]@a}` is empty there, `${X@a}`
# unbound); an assignment to a readonly one would print and abandon the
# rest of this code. Two newlines: a trailing `\` cannot swallow us.
# (Literal newlines: $'\n' costs a locale conversion.)
[[ "${PROMPT_COMMAND[*]-}${STARSHIP_PROMPT_COMMAND-}${LP_OLD_PROMPT_COMMAND-}${precmd_functions[*]-}" == *__tmpguard_hook* || $__tga == *-*[rx]* ]]||{ [[ $__tga == *-*a* ]]&&PROMPT_COMMAND+=('__tmpguard_hook p "$_" && : "$_"')||PROMPT_COMMAND=${PROMPT_COMMAND:+$PROMPT_COMMAND"

"}'__tmpguard_hook p "$_" && : "$_"';}
# Inside a function (a repair, from __tmpguard_hook or an older release's
# hook) `trap -p` shows no DEBUG trap (bash hides it from functions, and
# from sourced files, without functrace): the trap is left as it is, ours
# with what it chains. (Sourced, from `--hook-only`, a trap set before init
# is not seen: README.)
# The trap already set, read with a fork only when there is one: `trap -p`
# into a closed stdout fails only when it has something to print (where it
# shows none, in a function or a sourced file, neither does a fork's).
# The DEBUG trap: our guard, then any trap already set (the user's, whose
# status still decides under extdebug, or bash-preexec's; none prints as
# `-` in posix mode). Last: every top-level command after the trap would
# run it.
# (No trap set before: no `eval` of nothing, which costs an interactive bash
# some 20,000 instructions.)
trap -p DEBUG>&- 2>&-||__tgt=$(trap -p DEBUG)
[[ ${FUNCNAME-} || $__tgt == *__tmpguard_hook* ]]||{ [[ -z $__tgt ]]||eval "__tgt=($__tgt)";trap -- "$__tgg${__tgt[2]:+
${__tgt[2]#-}}" DEBUG;}

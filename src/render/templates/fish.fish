set -gx TMPDIR {{TMPDIR}}
{{?TMP}}set -gx TMP {{TMPDIR}}
{{?TEMP}}set -gx TEMP {{TMPDIR}}
{{#HOOK}}
if status is-interactive
set -g __tmpguard_check {{CHECK}}
set -g __tmpguard_base {{BASE}}
set -g __tmpguard_failed
# A TMPDIR that failed verification is not left in place: unset it (and
# TMP/TEMP when they hold the same value) and stay quiet until it changes.
function __tmpguard_unset
    test "$TMP" = "$TMPDIR"; and set -e TMP
    test "$TEMP" = "$TMPDIR"; and set -e TEMP
    set -e TMPDIR
    set -g __tmpguard_failed
end
function __tmpguard_hook --on-event fish_prompt
    set -l s $status
    if test "$TMPDIR" != "$__tmpguard_failed"; and not begin; test -d "$TMPDIR"; and not test -L "$TMPDIR"; and begin; test $__tmpguard_check = job; or test -O "$TMPDIR"; end; end
        set -l base
        test -n "$__tmpguard_base"; and set base --base $__tmpguard_base
        set -l code ({{TMPGUARD}} init fish $base | string collect)
        and eval $code
        or __tmpguard_unset
    end
    return $s
end
end
{{/HOOK}}

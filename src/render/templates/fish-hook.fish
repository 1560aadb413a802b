# fish, interactive shells only: `init fish --hook-only` prints this, and
# init's output sources it behind `status is-interactive` (see shell.rs).
set -g __tmpguard_base {{BASE}}
set -g __tmpguard_failed
# (`builtin test`: a user may shadow test with a function.)
# fish cannot hold a descriptor nor read an inode without a fork: the check
# sees type, owner and symlink-ness, not identity (README: a mount forging
# the owner, or the user's own re-created directory, passes it). A TMPDIR
# that was the user's own symlink when loaded may stay one.
set -g __tmpguard_link
builtin test -L "$TMPDIR"; and set __tmpguard_link 1
# A TMPDIR that failed verification is not left in place: unset it (and
# TMP/TEMP when they hold the same value) and stay quiet until it changes.
function __tmpguard_unset
    builtin test "$TMP" = "$TMPDIR"; and set -e TMP
    builtin test "$TEMP" = "$TMPDIR"; and set -e TEMP
    set -e TMPDIR
    set -g __tmpguard_failed
end
# At the prompt and before each command line; builtins only unless it fails.
function __tmpguard_hook --on-event fish_prompt --on-event fish_preexec
    set -l s $status
    # XDG_RUNTIME_DIR (unless --no-runtime-dir), when set: a directory of
    # the user's, not a symlink (type and owner only, as for TMPDIR).
    if begin; builtin test "$TMPDIR" != "$__tmpguard_failed"; and not begin; builtin test -d "$TMPDIR"; and begin; builtin test -n "$__tmpguard_link"; or not builtin test -L "$TMPDIR"; end; and begin; builtin test $__tmpguard_check = job; or builtin test -O "$TMPDIR"; end; end; end
        or begin; builtin test -z "{{NORT}}"; and builtin test -n "$XDG_RUNTIME_DIR"; and not begin; builtin test -d "$XDG_RUNTIME_DIR"; and builtin test -O "$XDG_RUNTIME_DIR"; and not builtin test -L "$XDG_RUNTIME_DIR"; end; end
        set -l base
        builtin test -n "$__tmpguard_base"; and set base --base $__tmpguard_base
        # What init prints is evaluated even when it fails (status 1: it
        # ran): it takes away what it judged unsafe (XDG_RUNTIME_DIR).
        set -l code ({{TMPGUARD}} init fish $base {{NORT}} | builtin string collect)
        set -l st $pipestatus[1]
        builtin test $st -lt 2; and eval $code
        builtin test $st = 0; or __tmpguard_unset
    end
    return $s
end

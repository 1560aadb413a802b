# tmpguard: a private, verified TMPDIR at login, for POSIX login shells.
# Install as /etc/profile.d/tmpguard.sh. bash and zsh get their own code,
# every other shell the POSIX sh code.
#
# Does nothing when tmpguard is not installed, or when the user opts out:
# TMPGUARD_DISABLE set in the environment (to anything), or a file
# ~/.config/tmpguard/disable. Never prints on stdout (scp and rsync need that);
# tmpguard's notes go to stderr. Costs no fork when it does nothing.
_tmpguard=/usr/local/bin/tmpguard
if [ -x "$_tmpguard" ] && [ -z "${TMPGUARD_DISABLE+set}" ] \
    && [ ! -e "${HOME:-/nonexistent}/.config/tmpguard/disable" ]; then
    if [ -n "${BASH_VERSION:-}" ]; then
        eval "$("$_tmpguard" init bash)"
    elif [ -n "${ZSH_VERSION:-}" ]; then
        eval "$("$_tmpguard" init zsh)"
    else
        eval "$("$_tmpguard" init sh)"
    fi
fi
unset _tmpguard

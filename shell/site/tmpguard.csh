# tmpguard: a private, verified TMPDIR at login, for tcsh and csh.
# Install as /etc/profile.d/tmpguard.csh (RHEL, Fedora, SUSE) or as
# /etc/csh/login.d/tmpguard (Debian, Ubuntu).
#
# Does nothing when tmpguard is not installed, or when the user opts out:
# TMPGUARD_DISABLE set in the environment (to anything), or a file
# ~/.config/tmpguard/disable. Never prints on stdout; notes go to stderr.
if ( -x /usr/local/bin/tmpguard && ! $?TMPGUARD_DISABLE ) then
    if ( ! -e ~/.config/tmpguard/disable ) then
        eval "`/usr/local/bin/tmpguard init tcsh`"
    endif
endif

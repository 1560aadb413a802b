# tmpguard: a private, verified TMPDIR for fish.
# Install as /etc/fish/conf.d/tmpguard.fish.
#
# Does nothing when tmpguard is not installed, or when the user opts out:
# TMPGUARD_DISABLE set in the environment (to anything), or a file
# ~/.config/tmpguard/disable. Never prints on stdout; notes go to stderr.
if test -x /usr/local/bin/tmpguard; and not set -q TMPGUARD_DISABLE; and not test -e ~/.config/tmpguard/disable
    /usr/local/bin/tmpguard init fish | source
end

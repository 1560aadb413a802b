#!/usr/bin/env bash
# Install the .deb with dpkg on this machine, check what it does for a real
# user's login shells, then remove and purge it, leaving the machine as it was
# (checked at the end). Run as root:  bash packaging/test-deb.sh PATH.deb
#
# The user is a throwaway one in a private mount namespace (its own passwd,
# home and /tmp); only dpkg's own changes touch the machine, and the trap
# purges them whatever happens.
set -euo pipefail
deb=$(readlink -f "$1")
fail() { echo "test-deb: FAIL: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || fail "needs root"
if dpkg -s tmpguard >/dev/null 2>&1; then fail "tmpguard is already installed here"; fi
for p in /usr/bin/tmpguard /etc/tmpguard /etc/profile.d/tmpguard.sh; do
  [[ ! -e $p ]] || fail "$p exists before the test"
done
W=$(mktemp -d /var/tmp/tmpguard-deb.XXXXXX)
cleanup() {
  dpkg -P tmpguard >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT

dpkg -i "$deb" >/dev/null
[[ $(dpkg-query -W -f='${Status}' tmpguard) == "install ok installed" ]] || fail "not installed"
# The static musl build: no dynamic loader at each shell start, no libc6
# version to depend on.
ldd /usr/bin/tmpguard 2>&1 | grep -Eq 'not a dynamic|statically linked' || fail "not static: $(ldd /usr/bin/tmpguard 2>&1)"
[[ -z $(dpkg-query -W -f='${Depends}' tmpguard) ]] || fail "depends on $(dpkg-query -W -f='${Depends}' tmpguard)"
# Every file in /etc is a conffile (Debian policy 10.7.2): the configuration
# and the login snippets.
conffiles="/etc/csh/login.d/tmpguard /etc/fish/conf.d/tmpguard.fish /etc/profile.d/tmpguard.csh /etc/profile.d/tmpguard.sh /etc/tmpguard/tmpguard.toml"
got=$(dpkg-query -W -f='${Conffiles}' tmpguard | awk '{print $1}' | sort | xargs)
[[ $got == "$conffiles" ]] || fail "conffiles: $got (wanted $conffiles)"
tmpguard config check >/dev/null 2>&1 || fail "the installed example configuration does not pass config check"

# Real login shells as a throwaway user, in a namespace of their own.
cat > "$W/shells.sh" <<'SHELLS'
set -euo pipefail
W=$1
mount -t tmpfs -o mode=1777 tmpfs /tmp
cp /etc/passwd "$W/passwd"; cp /etc/group "$W/group"
echo "tgpkg:x:2999:2999::$W/home:/bin/bash" >> "$W/passwd"
echo "tgpkg:x:2999:" >> "$W/group"
mount --bind "$W/passwd" /etc/passwd; mount --bind "$W/group" /etc/group
mkdir -p "$W/home" && chown 2999:2999 "$W/home" && chmod 755 "$W" && chmod 700 "$W/home"
# zsh on Debian does not read /etc/profile.d: the documented one line for
# /etc/zsh/zprofile (README, "For a site"), here in this namespace only.
cp /etc/zsh/zprofile "$W/zprofile"
echo "emulate sh -c '. /etc/profile.d/tmpguard.sh'" >> "$W/zprofile"
mount --bind "$W/zprofile" /etc/zsh/zprofile
as() {
  setpriv --reuid=2999 --regid=2999 --clear-groups \
    env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$W/home" USER=tgpkg LOGNAME=tgpkg "$@"
}
py='import tempfile; print(tempfile.gettempdir())'
as bash -l -c 'echo "bash $TMPDIR $(/usr/bin/python3 -c "$0")"' "$py"
as zsh -l -c 'echo "zsh $TMPDIR $(/usr/bin/python3 -c "$0")"' "$py"
printf '%s\n' 'echo "tcsh $TMPDIR `/usr/bin/python3 -c '"'$py'"'`"' | as tcsh -l   | grep '^tcsh '
as fish -l -c 'echo "fish $TMPDIR" (/usr/bin/python3 -c "$argv[1]")' "$py"
# After the site snippet, a user's own line prints nothing and registers nothing twice.
as bash -l -i -c 'out=$(tmpguard init bash 2>&1 >/dev/null); eval "$(tmpguard init bash)"; n=$(grep -o __tmpguard_hook <<<"$PROMPT_COMMAND" | wc -l); echo "again [${out}] hooks=$n"' 2>/dev/null
SHELLS
got=$(unshare -m --propagation private bash "$W/shells.sh" "$W")
want="bash /tmp/tgpkg /tmp/tgpkg
zsh /tmp/tgpkg /tmp/tgpkg
tcsh /tmp/tgpkg /tmp/tgpkg
fish /tmp/tgpkg /tmp/tgpkg
again [] hooks=1"
[[ $got == "$want" ]] || fail "login shells:
$got
--- wanted:
$want"

# Man pages render; bash completion from the installed file completes the subcommands.
MANPAGER=cat MANWIDTH=80 man tmpguard 2>/dev/null | grep -q 'tmpguard-init(1)' || fail "man tmpguard"
MANPAGER=cat MANWIDTH=80 man tmpguard.toml 2>/dev/null | grep -q 'site configuration of tmpguard' || fail "man tmpguard.toml"
MANPAGER=cat MANWIDTH=80 man 5 tmpguard.toml 2>&1 | grep -q 'min_free' || fail "man 5 tmpguard.toml"
# Every page renders with man -l, without a groff warning.
for p in $(dpkg -L tmpguard | grep '/share/man/.*\.gz$'); do
  w=$(MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null) || fail "man -l $p failed"
  [[ -z $w ]] || fail "man -l $p: $w"
done
comp=$(bash -c 'source /usr/share/bash-completion/completions/tmpguard
COMP_WORDS=(tmpguard ""); COMP_CWORD=1; COMP_LINE="tmpguard "; COMP_POINT=9
_tmpguard tmpguard "" tmpguard; printf "%s\n" "${COMPREPLY[@]}"' | sort | xargs)
for sub in init path exec doctor completions config; do
  [[ " $comp " == *" $sub "* ]] || fail "bash completion lacks $sub: $comp"
done
[[ -x /usr/libexec/tmpguard/slurm-taskprolog ]] || fail "TaskProlog missing"
[[ -x /usr/libexec/tmpguard/slurm-epilog ]] || fail "Epilog missing"
grep -q '"/usr/bin/tmpguard"' /usr/share/tmpguard/modulefiles/modules/tmpguard || fail "modulefile path"

# dpkg -r keeps only the conffiles; dpkg -P removes them too.
dpkg -r tmpguard >/dev/null
left=$(find /etc/tmpguard /etc/profile.d/tmpguard.sh /etc/profile.d/tmpguard.csh /etc/csh/login.d/tmpguard \
  /etc/fish/conf.d/tmpguard.fish /usr/bin/tmpguard /usr/share/tmpguard /usr/libexec/tmpguard \
  /usr/share/man/man1/tmpguard.1.gz /usr/share/bash-completion/completions/tmpguard -maxdepth 0 2>/dev/null | sort | xargs || true)
[[ $left == "/etc/csh/login.d/tmpguard /etc/fish/conf.d/tmpguard.fish /etc/profile.d/tmpguard.csh /etc/profile.d/tmpguard.sh /etc/tmpguard" \
  && -f /etc/tmpguard/tmpguard.toml && $(ls /etc/tmpguard) == tmpguard.toml ]] \
  || fail "after dpkg -r: $left"
# The snippets left behind do nothing without the binary: login shells start
# silently, TMPDIR untouched.
mkdir -m 700 "$W/empty"
lenv=(env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$W/empty" USER=root LOGNAME=root)
out=$(cd / && "${lenv[@]}" bash -l -c 'echo "bash ${TMPDIR-unset}"' 2>&1)
[[ $out == "bash unset" ]] || fail "bash -l after dpkg -r: $out"
out=$(cd / && "${lenv[@]}" fish -l -c 'echo fish (set -q TMPDIR; and echo set; or echo unset)' 2>&1)
[[ $out == "fish unset" ]] || fail "fish -l after dpkg -r: $out"
# (tcsh reading a pipe says it has no tty: not the snippet's.)
out=$(cd / && printf '%s\n' 'if ($?TMPDIR) echo TMPDIR' 'echo tcsh' | "${lenv[@]}" tcsh -l 2>&1 \
  | grep -v -e '^Warning: no access to tty' -e '^Thus no job control')
[[ $out == tcsh ]] || fail "tcsh -l after dpkg -r: $out"
dpkg -P tmpguard >/dev/null
[[ ! -e /etc/tmpguard ]] || fail "after dpkg -P: /etc/tmpguard remains"
for p in /etc/profile.d/tmpguard.sh /etc/profile.d/tmpguard.csh /etc/csh/login.d/tmpguard /etc/fish/conf.d/tmpguard.fish; do
  [[ ! -e $p ]] || fail "after dpkg -P: $p remains"
done
trap - EXIT
cleanup
if dpkg -s tmpguard >/dev/null 2>&1; then fail "still known to dpkg"; fi
for p in /usr/bin/tmpguard /etc/tmpguard /etc/profile.d/tmpguard.sh /usr/share/tmpguard; do
  [[ ! -e $p ]] || fail "$p left behind"
done
echo "test-deb: ok"

#!/usr/bin/env bash
# Check the .rpm without a RHEL machine: its exact file list with modes, the
# configuration marked %config(noreplace), and an install into a scratch root
# (rpm -i --root DIR --nodeps) whose binary then runs, from outside it,
# through the core tests. Needs Debian's `rpm` package.
#   bash packaging/test-rpm.sh PATH.rpm
set -euo pipefail
cd "$(dirname "$0")/.."
rpmfile=$(readlink -f "$1")
fail() { echo "test-rpm: FAIL: $*" >&2; exit 1; }

want="/etc/fish/conf.d/tmpguard.fish 100644
/etc/profile.d/tmpguard.csh 100644
/etc/profile.d/tmpguard.sh 100644
/etc/tmpguard 40755
/etc/tmpguard/tmpguard.toml 100644
/usr/bin/tmpguard 100755
/usr/libexec/tmpguard 40755
/usr/libexec/tmpguard/slurm-epilog 100755
/usr/libexec/tmpguard/slurm-taskprolog 100755
/usr/share/bash-completion/completions/tmpguard 100644
/usr/share/doc/tmpguard 40755
/usr/share/doc/tmpguard/copyright 100644
/usr/share/fish/vendor_completions.d/tmpguard.fish 100644
/usr/share/man/man1/tmpguard-clean.1.gz 100644
/usr/share/man/man1/tmpguard-completions.1.gz 100644
/usr/share/man/man1/tmpguard-config.1.gz 100644
/usr/share/man/man1/tmpguard-doctor.1.gz 100644
/usr/share/man/man1/tmpguard-exec.1.gz 100644
/usr/share/man/man1/tmpguard-init.1.gz 100644
/usr/share/man/man1/tmpguard-path.1.gz 100644
/usr/share/man/man1/tmpguard.1.gz 100644
/usr/share/man/man5/tmpguard.toml.5.gz 100644
/usr/share/tmpguard 40755
/usr/share/tmpguard/modulefiles 40755
/usr/share/tmpguard/modulefiles/lmod 40755
/usr/share/tmpguard/modulefiles/lmod/tmpguard.lua 100644
/usr/share/tmpguard/modulefiles/modules 40755
/usr/share/tmpguard/modulefiles/modules/tmpguard 100644
/usr/share/zsh/site-functions/_tmpguard 100644"
got=$(rpm -qp --queryformat '[%{FILENAMES} %{FILEMODES:octal}\n]' "$rpmfile" | sort)
[[ $got == "$want" ]] || fail "file list:
$(diff <(echo "$want") <(echo "$got"))"
owners=$(rpm -qp --queryformat '[%{FILEUSERNAME}:%{FILEGROUPNAME}\n]' "$rpmfile" | sort -u)
[[ $owners == root:root ]] || fail "owners: $owners"
# Every file in /etc %config(noreplace) (the configuration and the login
# snippets), as the .deb's conffiles.
conf=$(rpm -qp --queryformat '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$rpmfile" | grep '^c' | sort)
[[ $conf == "cn /etc/fish/conf.d/tmpguard.fish
cn /etc/profile.d/tmpguard.csh
cn /etc/profile.d/tmpguard.sh
cn /etc/tmpguard/tmpguard.toml" ]] || fail "config files: $conf"
[[ -z $(rpm -qp --scripts "$rpmfile") ]] || fail "unexpected scriptlets"

root=$(mktemp -d /var/tmp/tmpguard-rpmroot.XXXXXX)
trap 'rm -rf "$root"' EXIT
rpm --root "$root" --initdb
rpm --root "$root" -i --nodeps "$rpmfile"
bin=$root/usr/bin/tmpguard
"$bin" --version >/dev/null || fail "the installed binary does not run"
# Static: no C library version to need, so it runs on every distribution.
ldd "$bin" 2>&1 | grep -Eq 'not a dynamic|statically linked' || fail "not static: $(ldd "$bin" 2>&1)"
[[ -z $(readelf -lW "$bin" | grep -i 'interpreter') ]] || fail "has a program interpreter"
echo "test-rpm: the installed binary is static"
TMPGUARD_TEST_BIN=$bin cargo test --locked --quiet --test core --test builds 2>&1 | grep -cE '^test result: ok' | grep -qx 2 \
  || fail "core tests with the installed binary"
echo "test-rpm: ok"

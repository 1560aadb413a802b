#!/usr/bin/env bash
# Build the packages: target/packages/tmpguard_VERSION_amd64.deb and
# tmpguard-VERSION-1.x86_64.rpm, from one staged tree.
#
#   bash packaging/build.sh            # both (the .rpm needs rpmbuild: apt-get install rpm)
#   bash packaging/build.sh deb        # only the .deb
#   bash packaging/build.sh rpm
#
# The binary: $DEB_BIN / $RPM_BIN when given; otherwise both packages get the
# static musl build (cargo build --release --target x86_64-unknown-linux-musl):
# no dynamic loader, so the cheapest shell start, and no C library to
# match, so one binary runs on every distribution. Passwd lookups go through
# the system's getent (src/engine/getent.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
want=${1:-all}
OUT=${OUT:-$PWD/target/packages}
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
mkdir -p "$OUT"
W=$(mktemp -d "${TMPDIR:-/tmp}/tmpguard-pkg.XXXXXX")
trap 'rm -rf "$W"' EXIT

musl=x86_64-unknown-linux-musl
if [[ -z ${DEB_BIN:-} || ( $want != deb && -z ${RPM_BIN:-} ) ]]; then
  rustup target list --installed | grep -qx "$musl" || rustup target add "$musl" >&2
  cargo build --release --locked --quiet --target "$musl"
fi
DEB_BIN=${DEB_BIN:-$PWD/target/$musl/release/tmpguard}
RPM_BIN=${RPM_BIN:-$PWD/target/$musl/release/tmpguard}

# Man pages from the clap definitions (a generator outside the binary).
cargo run --locked --quiet --example manpages -- "$W/man" >/dev/null
cp packaging/tmpguard.toml.5 "$W/man/"

# stage DIR BIN FLAVOUR: the installed tree, /usr/bin/tmpguard baked in.
stage() {
  local d=$1 bin=$2 flavour=$3 zshdir
  install -D -m 0755 "$bin" "$d/usr/bin/tmpguard"
  local tg="$d/usr/bin/tmpguard"
  # Completions in the shells' vendor directories.
  case $flavour in
    deb) zshdir=/usr/share/zsh/vendor-completions ;;
    rpm) zshdir=/usr/share/zsh/site-functions ;;
  esac
  install -d -m 0755 "$d/usr/share/bash-completion/completions" "$d$zshdir" "$d/usr/share/fish/vendor_completions.d"
  "$tg" completions bash > "$d/usr/share/bash-completion/completions/tmpguard"
  "$tg" completions zsh > "$d$zshdir/_tmpguard"
  "$tg" completions fish > "$d/usr/share/fish/vendor_completions.d/tmpguard.fish"
  # Man pages, compressed.
  install -d -m 0755 "$d/usr/share/man/man1" "$d/usr/share/man/man5"
  for f in "$W"/man/*.1; do gzip -9n < "$f" > "$d/usr/share/man/man1/$(basename "$f").gz"; done
  gzip -9n < "$W/man/tmpguard.toml.5" > "$d/usr/share/man/man5/tmpguard.toml.5.gz"
  # Login snippets pointing at /usr/bin/tmpguard.
  local fix='s|/usr/local/bin/tmpguard|/usr/bin/tmpguard|g'
  install -d -m 0755 "$d/etc/profile.d" "$d/etc/fish/conf.d"
  sed "$fix" shell/site/tmpguard.sh > "$d/etc/profile.d/tmpguard.sh"
  sed "$fix" shell/site/tmpguard.csh > "$d/etc/profile.d/tmpguard.csh"
  sed "$fix" shell/site/tmpguard.fish > "$d/etc/fish/conf.d/tmpguard.fish"
  if [[ $flavour == deb ]]; then
    # Debian's tcsh reads /etc/csh/login.d, not /etc/profile.d.
    install -d -m 0755 "$d/etc/csh/login.d"
    sed "$fix" shell/site/tmpguard.csh > "$d/etc/csh/login.d/tmpguard"
  fi
  # Modulefiles for /usr/bin/tmpguard (argv[0] is the path they call). They
  # ask `tmpguard path --records` at load what to set, so they follow the
  # site's configuration as it is then.
  install -d -m 0755 "$d/usr/share/tmpguard/modulefiles/lmod" "$d/usr/share/tmpguard/modulefiles/modules"
  (exec -a /usr/bin/tmpguard "$tg" init lmod) > "$d/usr/share/tmpguard/modulefiles/lmod/tmpguard.lua"
  (exec -a /usr/bin/tmpguard "$tg" init modules) > "$d/usr/share/tmpguard/modulefiles/modules/tmpguard"
  # Slurm TaskProlog wrapper.
  install -d -m 0755 "$d/usr/libexec/tmpguard"
  sed "$fix" shell/slurm-taskprolog.sh > "$d/usr/libexec/tmpguard/slurm-taskprolog"
  chmod 0755 "$d/usr/libexec/tmpguard/slurm-taskprolog"
  # Slurm Epilog (per-job directories: `tmpguard clean`).
  sed "$fix" shell/slurm-epilog.sh > "$d/usr/libexec/tmpguard/slurm-epilog"
  chmod 0755 "$d/usr/libexec/tmpguard/slurm-epilog"
  # The commented example configuration (a conffile).
  install -D -m 0644 packaging/tmpguard.toml "$d/etc/tmpguard/tmpguard.toml"
  install -D -m 0644 packaging/copyright "$d/usr/share/doc/tmpguard/copyright"
  find "$d" -type f ! -path "*/usr/bin/*" ! -path "*/usr/libexec/*" -exec chmod 0644 {} +
  find "$d" -type d -exec chmod 0755 {} +
}

if [[ $want == all || $want == deb ]]; then
  d=$W/deb
  stage "$d" "$DEB_BIN" deb
  install -d -m 0755 "$d/DEBIAN"
  size=$(du -sk --exclude=DEBIAN "$d" | cut -f1)
  cat > "$d/DEBIAN/control" <<CONTROL
Package: tmpguard
Version: $VERSION
Architecture: amd64
Maintainer: tmpguard developers <tmpguard@localhost>
Installed-Size: $size
Section: utils
Priority: optional
Homepage: https://example.invalid/tmpguard
Description: private, verified TMPDIR at every shell start
 tmpguard makes TMPDIR a private directory (0700, the user's, checked through
 file descriptors) at login on shared machines, proves it usable the way
 Python does, and keeps it valid. This package installs login snippets for
 sh, bash, csh/tcsh and fish, modulefiles, a Slurm TaskProlog and a site
 configuration file, /etc/tmpguard/tmpguard.toml.
CONTROL
  # Every file in /etc is a conffile (Debian policy 10.7.2, what
  # dh_installdeb does): the configuration and the login snippets a site may
  # edit; upgrades keep local edits, dpkg -r keeps them (without the binary
  # the snippets do nothing), dpkg -P removes them.
  (cd "$d" && find etc -type f | sort | sed 's|^|/|') > "$d/DEBIAN/conffiles"
  deb=$OUT/tmpguard_${VERSION}_amd64.deb
  dpkg-deb --root-owner-group -Zxz --build "$d" "$deb" >/dev/null
  echo "$deb"
fi

if [[ $want == all || $want == rpm ]]; then
  command -v rpmbuild >/dev/null || { echo "build.sh: rpmbuild missing (apt-get install rpm)" >&2; exit 1; }
  d=$W/rpmroot
  stage "$d" "$RPM_BIN" rpm
  # %files: every staged file with its mode; those in /etc (the configuration
  # and the login snippets) %config(noreplace), as in the .deb.
  files=$W/files
  (cd "$d" && find . -type f | sort | while read -r f; do
    p=${f#.}
    mode=$(stat -c %a "$f")
    case $p in
      /etc/*) echo "%config(noreplace) %attr($mode,root,root) $p" ;;
      /usr/share/man/*) echo "%attr($mode,root,root) $p" ;;
      *) echo "%attr($mode,root,root) $p" ;;
    esac
  done
  echo "%dir %attr(755,root,root) /etc/tmpguard"
  echo "%dir %attr(755,root,root) /usr/share/tmpguard"
  echo "%dir %attr(755,root,root) /usr/share/tmpguard/modulefiles"
  echo "%dir %attr(755,root,root) /usr/share/tmpguard/modulefiles/lmod"
  echo "%dir %attr(755,root,root) /usr/share/tmpguard/modulefiles/modules"
  echo "%dir %attr(755,root,root) /usr/libexec/tmpguard"
  echo "%dir %attr(755,root,root) /usr/share/doc/tmpguard") > "$files"
  cat > "$W/tmpguard.spec" <<SPEC
Name: tmpguard
Version: $VERSION
Release: 1
Summary: Private, verified TMPDIR at every shell start
License: MIT OR Apache-2.0
BuildArch: x86_64
AutoReqProv: no
# Static: no C library; getent answers passwd lookups (glibc-common).
Requires: /usr/bin/getent

%description
tmpguard makes TMPDIR a private directory (0700, the user's, checked through
file descriptors) at login on shared machines, proves it usable the way
Python does, and keeps it valid. Login snippets for sh, bash, csh/tcsh and
fish, modulefiles, a Slurm TaskProlog and /etc/tmpguard/tmpguard.toml.

%install
cp -a $d/. %{buildroot}/

%files -f $files
SPEC
  rpmbuild -bb --quiet \
    --define "_topdir $W/rpmbuild" --define "_rpmdir $OUT" \
    --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
    --define "__strip /bin/true" --define "_build_id_links none" \
    --define "debug_package %{nil}" --define "__os_install_post %{nil}" \
    "$W/tmpguard.spec" >/dev/null
  echo "$OUT/tmpguard-$VERSION-1.x86_64.rpm"
fi

#!/usr/bin/env bash
# The portable binary: linked against glibc 2.17 symbols with cargo-zigbuild,
# so it runs on RHEL 7 to 10, Debian 10+, Ubuntu 18.04+, SLES 12+.
#   pip install ziglang cargo-zigbuild
#   bash packaging/portable.sh        # prints the binary's path
# build.rs's static libgcc_eh (Debian's needs GLIBC_2.35) is left out here;
# the binary links libgcc_s.so.1 like any C++-free Rust binary.
set -euo pipefail
cd "$(dirname "$0")/.."
TMPGUARD_PORTABLE=1 cargo zigbuild --release --locked --quiet --target x86_64-unknown-linux-gnu.2.17 >&2
bin=$PWD/target/x86_64-unknown-linux-gnu/release/tmpguard
need=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
if [[ $(printf '%s\n' "$need" GLIBC_2.17 | sort -V | tail -1) != GLIBC_2.17 ]]; then
  echo "portable.sh: $bin needs $need, more than GLIBC_2.17" >&2
  exit 1
fi
echo "$bin"

//! Rootless podman (Debian 12's 4.3) with the XDG_RUNTIME_DIR a batch job
//! inherits, before and after tmpguard (issue 18). podman 4.3 falls back to
//! `/tmp/podman-run-<uid>` when the forwarded directory is missing, so these
//! are the cases that really fail: a forwarded directory that belongs to
//! root, and the API service (`podman system service`, whose socket goes in
//! `$XDG_RUNTIME_DIR/podman/`) with `podman --remote info`.
//!
//! Not part of a plain `cargo test` (podman is large): `.ci/run` installs
//! podman, runs `cargo test --test podman`, and purges it.
mod common;

use common::{have, require, root_sandbox};

#[test]
fn podman_works_where_it_failed_before() {
    let Some(sb) = root_sandbox() else { return };
    if !require(have("podman"), "podman") {
        return;
    }
    let out = sb.run(
        r#"
fail() { echo "FAIL: $*"; }
mount -t tmpfs -o mode=0755,size=1m tmpfs /run/user
install -d -m 0700 /run/user/0
# podman leaves a pause process holding its user namespace: kill every one
# this script started (by the pid files in the runtime directories it used).
cleanup() { for f in $(find /tmp -name pause.pid 2>/dev/null); do kill "$(cat "$f")" 2>/dev/null; done; }
trap cleanup EXIT
pod() { as alice env XDG_RUNTIME_DIR="$1" timeout 120 bash -c "$2" 2>&1; }

# 1. The login node's root shell forwarded root's runtime directory.
before=$(pod /run/user/0 'podman info --format "{{.Store.RunRoot}}"')
grep -q 'XDG_RUNTIME_DIR directory .*/run/user/0.* is not owned by the current user' <<<"$before" || fail "before (root's): $before"
after=$(pod /run/user/0 'eval "$("$TG" init bash 2>/dev/null)"; podman info --format "runroot {{.Store.RunRoot}}"')
grep -qx 'runroot /tmp/xdg-runtime-2001/containers' <<<"$after" || fail "after (root's): $after"

# 2. The API service and a remote client, with a forwarded directory that
# does not exist on this node.
svc='podman system service --time=60 & for _ in $(seq 100); do [ -S "$XDG_RUNTIME_DIR/podman/podman.sock" ] && break; sleep 0.1; done; podman --remote info --format "remote {{.Host.RemoteSocket.Path}}"; kill $!'
before=$(pod /run/user/2001 "$svc")
grep -q "mkdir /run/user/2001: permission denied" <<<"$before" || fail "before (service): $before"
grep -q "^remote " <<<"$before" && fail "before (service): the client got an answer: $before"
after=$(pod /run/user/2001 'eval "$("$TG" init bash 2>/dev/null)"; '"$svc")
grep -qx "remote unix:/tmp/xdg-runtime-2001/podman/podman.sock" <<<"$after" || fail "after (service): $after"
# The same through exec, for what no rc file reaches.
after=$(pod /run/user/2001 '"$TG" exec -- bash -c '"'$svc'")
grep -qx "remote unix:/tmp/xdg-runtime-2001/podman/podman.sock" <<<"$after" || fail "exec (service): $after"
echo DONE
"#,
    );
    let fails: Vec<&str> = out
        .lines()
        .into_iter()
        .filter(|l| l.starts_with("FAIL"))
        .collect();
    assert!(
        fails.is_empty() && out.stdout.contains("DONE"),
        "{fails:#?}\nstdout:\n{}\nstderr:\n{}",
        out.stdout,
        out.stderr
    );
}

//! Link the unwinder statically (`libgcc_eh.a`) instead of `libgcc_s.so.1`.
//!
//! tmpguard runs at every shell start, where loading a second shared library
//! costs more than all of tmpguard's own code: the dynamic loader opens, maps
//! and relocates `libgcc_s` (9 system calls, about 22,000 instructions, a few
//! page faults) and its constructor runs `cpuid`, which traps to the
//! hypervisor on a virtual machine. std only needs `_Unwind_*` from it
//! (backtraces; panics abort in release). With `libgcc_eh.a` on the link line
//! before std's `-lgcc_s`, the linker takes them from there and `--as-needed`
//! drops `libgcc_s.so.1`. The C library stays dynamic: NSS (passwd lookups
//! through LDAP/sssd on the slow path) needs it.
//!
//! If the compiler cannot name `libgcc_eh.a` (not glibc, or no such file),
//! nothing changes: the build links `libgcc_s` as usual.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CC");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let glibc = var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu";
    // A static build (crt-static) links libgcc_eh already.
    let crt_static = var("CARGO_CFG_TARGET_FEATURE")
        .split(',')
        .any(|f| f == "crt-static");
    // A cargo-zigbuild build for an older glibc (e.g. --target x86_64-unknown-linux-gnu.2.17) links
    // against glibc 2.17 symbols: Debian's libgcc_eh.a would bring back
    // `_dl_find_object@GLIBC_2.35`. zigbuild sets CC for the target to its
    // zig wrapper; TMPGUARD_PORTABLE says so explicitly.
    println!("cargo:rerun-if-env-changed=TMPGUARD_PORTABLE");
    let target_cc = var(&format!("CC_{}", var("TARGET").replace('-', "_")));
    let zig = [var("CC"), target_cc, var("TARGET_CC")]
        .iter()
        .any(|cc| cc.contains("zig"));
    if !glibc || crt_static || zig || !var("TMPGUARD_PORTABLE").is_empty() {
        return;
    }
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let Ok(out) = Command::new(cc)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
    else {
        return;
    };
    let path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    // gcc prints the bare name back when it has no such file.
    let Some(dir) = Path::new(&path)
        .parent()
        .filter(|_| out.status.success() && Path::new(&path).is_file())
    else {
        return;
    };
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:rustc-link-lib=static=gcc_eh");
}

//! Helpers for unit tests.

use std::sync::atomic::{AtomicU32, Ordering};

/// A number no other call in this process returns.
pub fn unique() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{nanos}-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// A fresh mode-0700 directory under the system temp dir, canonical path.
pub fn scratch(what: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let d = std::env::temp_dir().join(format!(
        "tmpguard-{what}-{}-{}",
        std::process::id(),
        unique()
    ));
    std::fs::create_dir(&d).unwrap();
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::canonicalize(d).unwrap()
}

/// This process's real uid.
pub fn uid() -> u32 {
    nix::unistd::getuid().as_raw()
}

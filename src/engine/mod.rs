//! The core: what this process was given, who it runs for, which directory to
//! use and why (pure rules), and the engine that makes a private directory
//! exist and verifies it through file descriptors. Nothing here prints.

pub mod ancestry;
pub mod clean;
pub mod decide;
pub mod detach;
pub mod dryrun;
pub mod effects;
pub mod ensure;
pub mod env;
pub mod errno;
pub mod failclosed;
pub mod fallback;
pub mod fsinfo;
pub mod getent;
pub mod hang;
pub mod identity;
pub mod jobdir;
pub mod localfs;
pub mod mounts;
pub mod pathnorm;
pub mod privdir;
pub mod probe;
pub mod random;
pub mod resolve;
pub mod runtime;
pub mod scheduler;
#[cfg(test)]
pub mod scripted;
pub mod syslog;
pub mod userrun;

//! One line to the system log (`/dev/log`), so administrators see squats.
//!
//! Written by hand: a datagram in the classic `<PRI>TAG[PID]: MSG` form that
//! journald, rsyslog and syslog-ng all accept (they add the time). Best effort:
//! without a socket, or with a full one, nothing is written and nothing waits.

use std::os::unix::net::UnixDatagram;
use std::path::Path;

/// The local syslog socket.
pub const SOCKET: &str = "/dev/log";

/// `LOG_AUTH | LOG_WARNING`: facility 4 (security/authorization), severity 4.
const AUTH_WARNING: u8 = 4 * 8 + 4;

/// Longest message sent; journald and rsyslog take more, old syslogds 1 KiB.
const MAX_LEN: usize = 1024;

/// The datagram for `msg`: one line, control characters replaced by `?`.
#[cfg(test)]
pub fn format(pid: u32, msg: &str) -> Vec<u8> {
    format_pri(AUTH_WARNING, pid, msg)
}

fn format_pri(pri: u8, pid: u32, msg: &str) -> Vec<u8> {
    let mut line = format!("<{pri}>tmpguard[{pid}]: ").into_bytes();
    line.extend(
        msg.chars()
            .map(|c| {
                if crate::render::visible::is_hostile(c) {
                    '?'
                } else {
                    c
                }
            })
            .collect::<String>()
            .into_bytes(),
    );
    line.truncate(MAX_LEN);
    line
}

/// `LOG_DAEMON | LOG_NOTICE` and `LOG_DAEMON | LOG_WARNING`: what `clean` did.
pub const DAEMON_NOTICE: u8 = 3 * 8 + 5;
pub const DAEMON_WARNING: u8 = 3 * 8 + 4;

/// Send `msg` at priority `pri` to the system log; whether it was sent.
pub fn send(pri: u8, msg: &str) -> bool {
    send_to(Path::new(SOCKET), pri, msg)
}

/// Send `msg` at auth.warning to `socket`; whether it was sent.
pub fn warn_to(socket: &Path, msg: &str) -> bool {
    send_to(socket, AUTH_WARNING, msg)
}

fn send_to(socket: &Path, pri: u8, msg: &str) -> bool {
    let Ok(sock) = UnixDatagram::unbound() else {
        return false;
    };
    // A syslog daemon that stopped reading must not hang a login.
    sock.set_nonblocking(true).is_ok()
        && sock
            .send_to(&format_pri(pri, std::process::id(), msg), socket)
            .is_ok()
}

/// Send `msg` at auth.warning to the system log; whether it was sent.
pub fn warn(msg: &str) -> bool {
    warn_to(Path::new(SOCKET), msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_at_auth_warning() {
        assert_eq!(format(42, "a\nb\x1bc"), b"<36>tmpguard[42]: a?b?c");
        assert_eq!(format(1, &"x".repeat(5000)).len(), MAX_LEN);
    }

    #[test]
    fn sends_a_datagram_and_ignores_a_missing_socket() {
        let dir = std::env::temp_dir().join(format!(
            "tmpguard-syslog-{}-{}",
            std::process::id(),
            crate::testutil::unique()
        ));
        std::fs::create_dir(&dir).unwrap();
        let path = dir.join("log");
        let listener = UnixDatagram::bind(&path).unwrap();
        assert!(warn_to(&path, "hello"));
        let mut buf = [0u8; 256];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], format(std::process::id(), "hello").as_slice());
        assert!(!warn_to(&dir.join("none"), "nobody listens"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}

//! Modulefiles for Lmod (Lua) and Environment Modules (Tcl). They run
//! `tmpguard path` when loaded, so they carry the binary's path and the
//! arguments for `path`, quoted for their language.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::render::quote::{self, Unquotable};
use crate::render::template::{Slot, fill};

/// Which module system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum System {
    /// Lmod: a Lua modulefile.
    Lmod,
    /// Environment Modules: a Tcl modulefile.
    Modules,
}

const LMOD: &str = include_str!("templates/lmod.lua");
const MODULES: &str = include_str!("templates/modules.tcl");

/// Each modulefile template and the values it takes (checked by a unit test).
#[cfg(test)]
pub const TEMPLATES: &[(&str, &[Slot])] = &[
    (LMOD, &[Slot::Cmd]),
    (MODULES, &[Slot::Tmpguard, Slot::Args]),
];

/// The modulefile that runs `<bin> path <args...>` at load.
pub fn render(system: System, bin: &Path, args: &[OsString]) -> Result<Vec<u8>, Unquotable> {
    let bin = bin.as_os_str().as_bytes();
    match system {
        System::Lmod => {
            // Lmod's capture() runs a shell command line: POSIX words inside a Lua string.
            let mut line = quote::posix(bin);
            line.extend_from_slice(b" path");
            for a in args {
                line.push(b' ');
                line.extend_from_slice(&quote::posix(a.as_bytes()));
            }
            let cmd = quote::lua(&line);
            Ok(fill(
                LMOD,
                |_| false,
                |slot| match slot {
                    Slot::Cmd => &cmd,
                    other => panic!("{} is not a Lmod value", other.name()),
                },
            ))
        }
        System::Modules => {
            let words = args
                .iter()
                .map(|a| quote::tcl(a.as_bytes()))
                .collect::<Result<Vec<_>, _>>()?;
            let (bin, args) = (quote::tcl(bin)?, words.join(&b' '));
            Ok(fill(
                MODULES,
                |_| false,
                |slot| match slot {
                    Slot::Tmpguard => &bin,
                    Slot::Args => &args,
                    other => panic!("{} is not a modulefile value", other.name()),
                },
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::*;

    fn text(system: System, bin: &str, args: &[&str]) -> String {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        String::from_utf8(render(system, Path::new(bin), &args).unwrap()).unwrap()
    }

    #[test]
    fn lmod_quotes_for_the_shell_inside_lua() {
        let out = text(
            System::Lmod,
            "/opt/it's/tmpguard",
            &["--base", "/scr \"x\""],
        );
        assert!(
            out.contains(r#"local cmd = "'/opt/it'\\''s/tmpguard' path '--base' '/scr \"x\"'""#),
            "{out}"
        );
        assert!(out.contains("pushenv(s[1], s[2])"));
    }

    #[test]
    fn modules_quotes_for_tcl() {
        let out = text(System::Modules, "/opt/$x/tmpguard", &["--base", "/s[1]"]);
        assert!(out.starts_with("#%Module"));
        assert!(
            out.contains("set tmpguard \"/opt/\\$x/tmpguard\"\n"),
            "{out}"
        );
        assert!(
            out.contains("set tmpguard_args [list \"--base\" \"/s\\[1\\]\"]\n"),
            "{out}"
        );
        assert!(text(System::Modules, "/t", &[]).contains("set tmpguard_args [list ]\n"));
    }

    #[test]
    fn modules_refuses_what_tcl_cannot_carry() {
        assert!(
            render(
                System::Modules,
                Path::new(OsStr::from_bytes(b"/\xff/tmpguard")),
                &[]
            )
            .is_err()
        );
    }
}

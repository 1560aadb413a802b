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

/// The modulefile that runs `<bin> path <args...>` at load and sets TMPDIR
/// and each of `names` to the directory.
pub fn render(
    system: System,
    bin: &Path,
    args: &[OsString],
    names: &[&str],
) -> Result<Vec<u8>, Unquotable> {
    let text = render_tmpdir(system, bin, args)?;
    Ok(with_names(text, names))
}

/// Every line that pushes TMPDIR, once more per name (names are validated
/// identifiers: nothing to quote in Lua or Tcl).
fn with_names(text: Vec<u8>, names: &[&str]) -> Vec<u8> {
    if names.is_empty() {
        return text;
    }
    let mut out = Vec::with_capacity(text.len() + 64);
    for line in text.split_inclusive(|&b| b == b'\n') {
        out.extend_from_slice(line);
        let t = line.trim_ascii_start();
        if t.starts_with(b"pushenv(\"TMPDIR\"") || t.starts_with(b"pushenv TMPDIR ") {
            let at = line
                .windows(6)
                .position(|w| w == b"TMPDIR")
                .expect("found above");
            for name in names {
                out.extend_from_slice(&line[..at]);
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(&line[at + 6..]);
            }
        }
    }
    out
}

const LMOD: &str = include_str!("templates/lmod.lua");
const MODULES: &str = include_str!("templates/modules.tcl");

/// Each modulefile template and the values it takes (checked by a unit test).
#[cfg(test)]
pub const TEMPLATES: &[(&str, &[Slot])] = &[
    (LMOD, &[Slot::Cmd]),
    (MODULES, &[Slot::Tmpguard, Slot::Args]),
];

fn render_tmpdir(system: System, bin: &Path, args: &[OsString]) -> Result<Vec<u8>, Unquotable> {
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
        String::from_utf8(render(system, Path::new(bin), &args, &[]).unwrap()).unwrap()
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
    fn site_names_are_pushed_like_tmpdir() {
        let lua = render(System::Lmod, Path::new("/t"), &[], &["SCRATCH_TMPDIR"]).unwrap();
        let lua = String::from_utf8(lua).unwrap();
        assert!(
            lua.contains("pushenv(\"TMPDIR\", dir)\npushenv(\"SCRATCH_TMPDIR\", dir)\n"),
            "{lua}"
        );
        let tcl = render(System::Modules, Path::new("/t"), &[], &["TMP"]).unwrap();
        let tcl = String::from_utf8(tcl).unwrap();
        assert!(
            tcl.contains("pushenv TMPDIR $dir\npushenv TMP $dir\n"),
            "{tcl}"
        );
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
                &[],
                &[]
            )
            .is_err()
        );
    }
}

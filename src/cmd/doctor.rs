//! `tmpguard doctor`: where temp files really go, and why. Changes nothing.

use std::io::IsTerminal;

use super::{FAILED, emit};
use crate::cli::DoctorArgs;
use crate::doctor::{World, gather, human, json};
use crate::engine::effects::RealFs;

/// Gather, judge and print the report; 0 with only info findings, else 1.
pub fn run(args: &DoctorArgs) -> u8 {
    let report = gather(&RealFs, &World::read(args.base.clone()));
    let text = if args.json {
        json::render(&report)
    } else {
        // https://no-color.org: set and not empty disables colour.
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        human::render(&report, std::io::stdout().is_terminal() && !no_color)
    };
    if emit(text.as_bytes()) {
        report.exit_code()
    } else {
        FAILED
    }
}

//! Rendering findings as text, and the exit code they call for.

use std::fmt::Write as _;
use std::process::ExitCode;

use secrets_core::check::{Finding, Severity};

use crate::args::FailOn;
use crate::output::escape_controls;

/// The severity `--fail-on` names.
pub fn threshold(f: FailOn) -> Severity {
    match f {
        FailOn::Low => Severity::Low,
        FailOn::Medium => Severity::Medium,
        FailOn::High => Severity::High,
    }
}

/// 1 when any finding is at or above the threshold, else 0.
pub fn exit_code(findings: &[Finding], fail_on: FailOn) -> ExitCode {
    match findings.iter().any(|f| f.severity >= threshold(fail_on)) {
        true => ExitCode::from(1),
        false => ExitCode::SUCCESS,
    }
}

/// `PATH:LINE: severity RULE name: message` and an indented hint per finding.
pub fn text(findings: &[Finding]) -> String {
    let colour = crate::output::colour_stdout();
    let mut out = String::new();
    for f in findings {
        let line = f.to_string();
        if colour {
            // The severity follows the place and ": "; only it is painted.
            let (place, rest) = line.split_at(f.place().len() + 2);
            let rest = &rest[f.severity.name().len()..];
            let code = match f.severity {
                Severity::High => "31",
                Severity::Medium => "33",
                Severity::Low => "36",
            };
            let _ = writeln!(out, "{place}\x1b[1;{code}m{}\x1b[0m{rest}", f.severity);
        } else {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out, "    fix: {}", escape_controls(f.help));
    }
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let _ = writeln!(
        out,
        "{} findings: {} high, {} medium, {} low",
        findings.len(),
        count(Severity::High),
        count(Severity::Medium),
        count(Severity::Low)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::ColorWhen;

    /// The line is the library's `Display` of the finding; colour paints
    /// the severity and nothing else, whatever the path holds.
    #[test]
    fn colour_paints_only_the_severity() {
        let rule = (secrets_core::report::all_rules().into_iter())
            .find(|r| r.severity == Severity::High)
            .expect("a high rule");
        let path = std::path::Path::new("a\n: high SA001 x/.env");
        let f = Finding::new(rule, path, Some(3), None, "said\x1b[2J".into());
        crate::output::configure(false, ColorWhen::Never);
        let plain = text(std::slice::from_ref(&f));
        crate::output::configure(false, ColorWhen::Always);
        let coloured = text(std::slice::from_ref(&f));
        crate::output::configure(false, ColorWhen::Auto);
        let first = plain.lines().next().unwrap();
        assert_eq!(first, f.to_string());
        assert_eq!(
            first,
            format!(
                "a\\n: high SA001 x/.env:3: high {} {}: said\\x1b[2J",
                rule.id, rule.name
            )
        );
        assert_eq!(
            coloured.lines().next().unwrap(),
            format!(
                "a\\n: high SA001 x/.env:3: \x1b[1;31mhigh\x1b[0m {} {}: said\\x1b[2J",
                rule.id, rule.name
            )
        );
    }
}

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

/// The findings grouped by file: files with the most severe findings
/// first (then by path), each file's findings by severity then line, each
/// once: `PATH`, then `  [LINE: ]severity RULE name: message` and an
/// indented `fix:` hint per finding, and a count.
pub fn text(findings: &[Finding]) -> String {
    let colour = crate::output::colour_stdout();
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    let place = |f: &Finding| (f.rule, f.line, f.key.clone(), f.message.clone());
    sorted.sort_by(|a, b| {
        (&a.path, std::cmp::Reverse(a.severity), place(a)).cmp(&(
            &b.path,
            std::cmp::Reverse(b.severity),
            place(b),
        ))
    });
    sorted.dedup_by(|a, b| a.path == b.path && place(a) == place(b));
    let mut groups: Vec<Vec<&Finding>> = Vec::new();
    for f in sorted {
        match groups.last_mut() {
            Some(g) if g[0].path == f.path => g.push(f),
            _ => groups.push(vec![f]),
        }
    }
    // Within a group the first is the most severe.
    groups.sort_by(|a, b| {
        (std::cmp::Reverse(a[0].severity), &a[0].path)
            .cmp(&(std::cmp::Reverse(b[0].severity), &b[0].path))
    });
    let mut out = String::new();
    let mut count = 0;
    for group in &groups {
        let path = group[0].path.display().to_string();
        let _ = writeln!(out, "{}", escape_controls(&path));
        for f in group {
            count += 1;
            let sev = f.severity.name();
            let sev = if colour {
                let code = match f.severity {
                    Severity::High => "31",
                    Severity::Medium => "33",
                    Severity::Low => "36",
                };
                format!("\x1b[1;{code}m{sev}\x1b[0m")
            } else {
                sev.to_owned()
            };
            let line = f.line.map(|l| format!("{l}: ")).unwrap_or_default();
            let _ = writeln!(
                out,
                "  {line}{sev} {} {}: {}",
                f.rule,
                f.name,
                escape_controls(&f.message)
            );
            let _ = writeln!(out, "    fix: {}", escape_controls(&f.help));
        }
    }
    let all: Vec<&Finding> = groups.into_iter().flatten().collect();
    let by = |s: Severity| all.iter().filter(|f| f.severity == s).count();
    let _ = writeln!(
        out,
        "{}: {} high, {} medium, {} low",
        plural(count, "finding"),
        by(Severity::High),
        by(Severity::Medium),
        by(Severity::Low)
    );
    out
}

/// `1 finding`, `2 findings`, `0 findings`.
pub fn plural(n: usize, what: &str) -> String {
    match n {
        1 => format!("1 {what}"),
        n => format!("{n} {what}s"),
    }
}

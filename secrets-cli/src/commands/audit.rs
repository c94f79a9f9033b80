//! `secrets audit`: the pre-deploy gate.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use secrets_core::audit::baseline::{Baseline, Judged, DEFAULT_BASELINE};
use secrets_core::audit::{audit, AuditOptions};
use secrets_core::report::to_json;
use secrets_core::secure_file::Owner;
use secrets_core::stack::Stack;
use std::time::SystemTime;

use crate::args::{AuditArgs, ReportFormat};
use crate::failure::{one_line, Failure};
use crate::findings;
use crate::output::escape_controls;

pub fn run(args: AuditArgs) -> Result<ExitCode, Failure> {
    let stacks = (args.manifest.iter().map(|m| Stack::load(m)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(super::stack_error)?;
    // The baseline named, else the default one when it is there.
    let baseline_path = args
        .baseline
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_BASELINE));
    let baseline = match Baseline::load(&baseline_path)? {
        Some(b) => Some(b),
        None if args.baseline.is_some() && !args.update_baseline => {
            return Err(Failure::Error(format!(
                "{}: no such file (create it with --update-baseline)",
                baseline_path.display()
            )))
        }
        None => None,
    };
    let roots = match args.paths.is_empty() {
        true => vec![PathBuf::from(".")],
        false => args.paths,
    };
    let mut options = AuditOptions::new(roots, SystemTime::now());
    options.owner = args.owner.as_deref().map(Owner::parse).transpose()?;
    options.manifests = stacks.iter().collect();
    let progress = crate::progress::Progress::start("auditing");
    options.progress = Some(progress.counter());
    let report = audit(&options);
    progress.finish();
    let mut report = report?;
    let mut planned = String::new();
    if args.fix && args.dry_run {
        for a in report.planned_fixes(options.owner) {
            let line = match &a.error {
                None => format!("would run: {}", a.description),
                Some(e) => format!("would not run: {}: {}", a.description, one_line(e)),
            };
            planned.push_str(&escape_controls(&line));
            planned.push('\n');
        }
        if planned.is_empty() {
            planned.push_str("nothing to fix\n");
        }
    } else if args.fix {
        let progress = crate::progress::Progress::start("fixing");
        options.progress = Some(progress.counter());
        let fixed = report.fix(&options);
        progress.finish();
        let (again, applied) = fixed?;
        for a in &applied {
            match &a.error {
                None => crate::note!("secrets: fixed: {}", a.description),
                Some(e) => crate::warn!("secrets: could not {}: {}", a.description, one_line(e)),
            }
        }
        report = again;
        if applied.iter().any(|a| a.error.is_some())
            && report.findings.iter().any(|f| f.fix.is_some())
        {
            crate::warn!("secrets: some fixes failed; the findings below remain");
        }
    }
    if args.update_baseline {
        let old = baseline.unwrap_or_else(|| Baseline::empty(&baseline_path));
        let next = old.updated(&report.findings);
        next.write(&baseline_path)?;
        let empty = next.entries().filter(|e| e.reason.is_empty()).count();
        crate::note!(
            "secrets: wrote {}: {} accepted, {} without a reason",
            baseline_path.display(),
            findings::plural(next.len(), "finding"),
            empty
        );
        return Ok(ExitCode::SUCCESS);
    }
    let judged = match &baseline {
        Some(b) => b.judge(std::mem::take(&mut report.findings)),
        None => Judged {
            new: std::mem::take(&mut report.findings),
            ..Judged::default()
        },
    };
    let out = match args.format {
        ReportFormat::Text => {
            let mut out = planned;
            out.push_str(&findings::text(&judged.new));
            out.push_str(&accepted_text(&judged, &baseline_path, args.show_accepted));
            out
        }
        ReportFormat::Json => {
            for line in planned.lines() {
                crate::note!("secrets: {line}");
            }
            let mut v = to_json(&judged.new);
            if baseline.is_some() {
                v["baseline"] = accepted_json(&judged, &baseline_path);
            }
            format!("{v:#}\n")
        }
        ReportFormat::Sarif => {
            for line in planned.lines() {
                crate::note!("secrets: {line}");
            }
            report.findings = judged.new.clone();
            format!("{:#}\n", report.to_sarif())
        }
    };
    crate::output::print(&out)?;
    Ok(findings::exit_code(&judged.new, args.fail_on))
}

/// The baseline's part of a text report: how many it accepted (each with
/// its reason with --show-accepted), and its stale entries.
fn accepted_text(judged: &Judged, path: &Path, show: bool) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let shown = escape_controls(&path.display().to_string()).into_owned();
    if !judged.accepted.is_empty() {
        let _ = writeln!(
            out,
            "{} accepted by {shown}{}",
            findings::plural(judged.accepted.len(), "finding"),
            if show {
                ":"
            } else {
                " (--show-accepted lists them)"
            }
        );
        if show {
            for (f, reason) in &judged.accepted {
                let reason = match reason.as_str() {
                    "" => "no reason given".to_owned(),
                    r => r.to_owned(),
                };
                let _ = writeln!(
                    out,
                    "  {}: {} {} {}: {}\n    reason: {}",
                    escape_controls(&f.path.display().to_string()),
                    f.severity.name(),
                    f.rule,
                    f.name,
                    escape_controls(&f.message),
                    escape_controls(&reason)
                );
            }
        }
    }
    for s in &judged.stale {
        let fp = match s.key.fingerprint.as_str() {
            "" => String::new(),
            f => format!(" ({f})"),
        };
        let _ = writeln!(
            out,
            "stale in {shown}: {} {}{}: nothing matches it any more; remove it, or run --update-baseline",
            s.key.rule,
            escape_controls(&s.key.path),
            escape_controls(&fp)
        );
    }
    out
}

/// The baseline's part of a JSON report.
fn accepted_json(judged: &Judged, path: &Path) -> serde_json::Value {
    let accepted: Vec<serde_json::Value> = (judged.accepted.iter())
        .map(|(f, reason)| {
            let mut v = serde_json::to_value(f).unwrap_or_default();
            v["reason"] = reason.as_str().into();
            v
        })
        .collect();
    let stale: Vec<serde_json::Value> = (judged.stale.iter())
        .map(|s| {
            serde_json::json!({
                "rule": s.key.rule,
                "path": s.key.path,
                "fingerprint": s.key.fingerprint,
                "reason": s.reason,
            })
        })
        .collect();
    serde_json::json!({
        "file": path.to_string_lossy(),
        "accepted": accepted,
        "stale": stale,
    })
}

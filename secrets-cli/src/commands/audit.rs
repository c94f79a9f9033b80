//! `secrets audit`: the pre-deploy gate.

use std::path::PathBuf;
use std::process::ExitCode;

use secrets_core::audit::{audit, AuditOptions};
use secrets_core::report::{all_rules, to_json, to_sarif};
use secrets_core::secure_file::Owner;
use secrets_core::stack::Stack;
use secrets_core::unix_now;

use crate::args::{AuditArgs, ReportFormat};
use crate::failure::Failure;
use crate::findings;

pub fn run(args: AuditArgs) -> Result<ExitCode, Failure> {
    let owner = args.owner.as_deref().map(Owner::parse).transpose()?;
    let stack = args
        .manifest
        .as_deref()
        .map(Stack::load)
        .transpose()
        .map_err(super::stack_error)?;
    let roots: Vec<PathBuf> = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    for r in &roots {
        if !r.exists() {
            return Err(Failure::Error(format!(
                "{}: no such file or directory",
                r.display()
            )));
        }
    }
    let options = AuditOptions {
        roots: roots.clone(),
        owner,
        stack: stack.as_ref(),
        now: unix_now(),
    };
    let mut report = audit(&options)?;
    if args.fix {
        let applied = report.apply_fixes(owner);
        let mut failed = false;
        for a in &applied {
            match &a.error {
                None => crate::note!("secrets: fixed: {}", a.description),
                Some(e) => {
                    failed = true;
                    let e = crate::failure::one_line(e);
                    crate::warn!("secrets: could not {}: {e}", a.description);
                }
            }
        }
        report = audit(&options)?;
        if failed && report.findings.iter().any(|f| f.fix.is_some()) {
            crate::warn!("secrets: some fixes failed; the findings below remain");
        }
    }
    let out = match args.format {
        ReportFormat::Text => findings::text(&report.findings),
        ReportFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&to_json(&report.findings))?
        ),
        ReportFormat::Sarif => {
            let base = std::fs::canonicalize(&roots[0]).unwrap_or_else(|_| roots[0].clone());
            let base = if base.is_dir() {
                base
            } else {
                base.parent().map(PathBuf::from).unwrap_or(base)
            };
            let absolute: Vec<_> = report
                .findings
                .iter()
                .cloned()
                .map(|mut f| {
                    f.path = std::fs::canonicalize(&f.path).unwrap_or(f.path);
                    f
                })
                .collect();
            format!(
                "{}\n",
                serde_json::to_string_pretty(&to_sarif(&absolute, &all_rules(), &base))?
            )
        }
    };
    crate::output::print(&out)?;
    Ok(if findings::fails(&report.findings, args.fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

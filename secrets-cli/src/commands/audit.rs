//! `secrets audit`: the pre-deploy gate.

use std::path::PathBuf;
use std::process::ExitCode;

use secrets_core::audit::{audit, AuditOptions};
use secrets_core::report::to_json;
use secrets_core::secure_file::Owner;
use secrets_core::stack::Stack;
use std::time::SystemTime;

use crate::args::{AuditArgs, ReportFormat};
use crate::failure::Failure;
use crate::findings;

pub fn run(args: AuditArgs) -> Result<ExitCode, Failure> {
    let stacks = (args.manifest.iter().map(|m| Stack::load(m)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(super::stack_error)?;
    let roots = match args.paths.is_empty() {
        true => vec![PathBuf::from(".")],
        false => args.paths,
    };
    let mut options = AuditOptions::new(roots, SystemTime::now());
    options.owner = args.owner.as_deref().map(Owner::parse).transpose()?;
    options.manifests = stacks.iter().collect();
    let mut report = audit(&options)?;
    if args.fix {
        let (again, applied) = report.fix(&options)?;
        for a in &applied {
            match &a.error {
                None => crate::note!("secrets: fixed: {}", a.description),
                Some(e) => crate::warn!(
                    "secrets: could not {}: {}",
                    a.description,
                    crate::failure::one_line(e)
                ),
            }
        }
        report = again;
        if applied.iter().any(|a| a.error.is_some())
            && report.findings.iter().any(|f| f.fix.is_some())
        {
            crate::warn!("secrets: some fixes failed; the findings below remain");
        }
    }
    let out = match args.format {
        ReportFormat::Text => findings::text(&report.findings),
        ReportFormat::Json => format!("{:#}\n", to_json(&report.findings)),
        ReportFormat::Sarif => format!("{:#}\n", report.to_sarif()),
    };
    crate::output::print(&out)?;
    Ok(findings::exit_code(&report.findings, args.fail_on))
}

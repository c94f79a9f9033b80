//! The pre-deploy gate used as a library cannot be misconfigured open: a
//! manifest parsed from text (no directory), audited from another working
//! directory, must not let a weak value through a gate failing on high.
//!
//! One test binary of its own: the test changes the process's working
//! directory, which no other test may share.

#![cfg(feature = "audit")]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use secrets_core::audit::{audit, AuditOptions};
use secrets_core::check::Severity;
use secrets_core::manifest::ManifestFile;
use secrets_core::stack::Stack;

const MANIFEST: &str = r#"
[stack]
name = "app"

[vars.APP_PASSWORD]
kind = "password"
length = 32
"#;

/// A stack directory holding a private `.env` whose password has six
/// characters, and another directory to run from.
fn setup() -> (tempfile::TempDir, tempfile::TempDir) {
    let stack = tempfile::tempdir().expect("tempdir");
    let env = stack.path().join(".env");
    std::fs::write(&env, "APP_PASSWORD=abc123\n").expect("write .env");
    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let elsewhere = tempfile::tempdir().expect("tempdir");
    (stack, elsewhere)
}

/// The gate a deploy tool writes: fail when the audit could not run or
/// found anything high.
fn gate_passes(stack: &Stack, root: &Path) -> bool {
    let mut options = AuditOptions::new(vec![root.to_owned()], std::time::SystemTime::now());
    options.manifests = vec![stack];
    match audit(&options) {
        Err(_) => false,
        Ok(report) => !report.findings.iter().any(|f| f.severity >= Severity::High),
    }
}

#[test]
fn a_parsed_manifest_audited_from_elsewhere_fails_the_gate() {
    let (stack_dir, elsewhere) = setup();
    std::env::set_current_dir(elsewhere.path()).expect("chdir");
    let stack = Stack::from_manifest(ManifestFile::parse("secrets.toml", MANIFEST).expect("parse"))
        .expect("stack");
    assert!(
        !gate_passes(&stack, stack_dir.path()),
        "a six-character password passed a gate failing on high"
    );

    // Given its directory, the manifest's check rules run on the `.env`
    // and the weak password itself is the high finding.
    let placed = stack.clone().with_dir(stack_dir.path());
    let options = AuditOptions::new(
        vec![stack_dir.path().to_owned()],
        std::time::SystemTime::now(),
    )
    .manifests(vec![&placed]);
    let report = audit(&options).expect("audit");
    let high: Vec<_> = (report.findings.iter())
        .filter(|f| f.severity >= Severity::High)
        .collect();
    assert!(
        high.iter()
            .any(|f| f.key.as_deref() == Some("APP_PASSWORD") && f.rule.code().starts_with("SC")),
        "{:?}",
        report.findings
    );
    // The same through the audit's own option.
    let options = AuditOptions::new(
        vec![stack_dir.path().to_owned()],
        std::time::SystemTime::now(),
    )
    .manifests(vec![&stack])
    .manifest_dir(stack_dir.path());
    let again = audit(&options).expect("audit");
    assert_eq!(again.findings.len(), report.findings.len());

    // Without a directory the audit refuses, naming both ways to give one.
    let options = AuditOptions::new(
        vec![stack_dir.path().to_owned()],
        std::time::SystemTime::now(),
    )
    .manifests(vec![&stack]);
    let e = audit(&options).expect_err("no directory");
    let text = e.to_string();
    assert!(
        text.contains("\"app\"") && text.contains("Stack::with_dir"),
        "{text}"
    );

    // A directory that holds no `.env`: nothing was checked, said as high.
    let wrong = stack.clone().with_dir(elsewhere.path());
    let options = AuditOptions::new(
        vec![stack_dir.path().to_owned()],
        std::time::SystemTime::now(),
    )
    .manifests(vec![&wrong]);
    let report = audit(&options).expect("audit");
    let none = (report.findings.iter())
        .find(|f| f.rule.code() == "SA022")
        .expect("SA022");
    assert_eq!(none.severity, Severity::High);
    assert!(!gate_passes(&wrong, stack_dir.path()));
}

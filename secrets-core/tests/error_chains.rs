//! Errors keep their causes: a failed repair holds its `io::Error`, and no
//! error's `Display` repeats the source it also returns.

#![cfg(feature = "audit")]

use std::error::Error;
use std::os::unix::fs::PermissionsExt;

use secrets_core::audit::{audit, AuditOptions};
use secrets_core::check::{Fix, RuleId};

#[test]
fn a_failed_fix_keeps_its_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join(".env");
    std::fs::write(&env, "API_TOKEN=x\n").unwrap();
    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o644)).unwrap();
    let report = audit(&AuditOptions {
        roots: vec![dir.path().to_owned()],
        owner: None,
        stack: None,
        now: 0,
    })
    .unwrap();
    assert!(report
        .findings
        .iter()
        .any(|f| f.rule == RuleId::FilePermissions && matches!(f.fix, Some(Fix::Chmod { .. }))));
    // Gone between the audit and its repair.
    std::fs::remove_file(&env).unwrap();
    let applied = report.apply_fixes(None);
    let failed = applied
        .iter()
        .find(|a| a.description.starts_with("chmod"))
        .and_then(|a| a.error.as_ref())
        .expect("the chmod fails");
    assert!(failed.is_not_found(), "{failed}");
    let io = failed
        .source()
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .expect("the io::Error is the source");
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
}

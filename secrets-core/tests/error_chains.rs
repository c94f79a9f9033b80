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
    let report = audit(&AuditOptions::new(
        vec![dir.path().to_owned()],
        std::time::UNIX_EPOCH,
    ))
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

/// The `Display` of each error in the chain, outermost first.
fn chain(e: &dyn Error) -> Vec<String> {
    let mut out = vec![e.to_string()];
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push(c.to_string());
        cause = c.source();
    }
    out
}

fn assert_not_repeated(e: &dyn Error) {
    let texts = chain(e);
    assert!(texts.len() > 1, "the cause is kept: {texts:?}");
    for pair in texts.windows(2) {
        assert!(
            !pair[0].contains(&pair[1]),
            "{:?} repeats its source {:?}",
            pair[0],
            pair[1]
        );
    }
    let root = texts.last().unwrap();
    let line = secrets_core::one_line(e);
    assert_eq!(line.matches(root.as_str()).count(), 1, "{line}");
}

#[test]
fn a_missing_file_is_named_once_in_each_chain() {
    use secrets_core::unstable::safe_fs::{limits, read_secret, PrivateDir};
    let dir = tempfile::tempdir().unwrap();
    let gone = dir.path().join("gone");
    let file = dir.path().join("file");
    std::fs::write(&file, "").unwrap();
    // The file layer: a missing directory, a file taken for one.
    let e = PrivateDir::create(&gone, "x").unwrap_err();
    assert!(e.is_not_found(), "{e}");
    assert_not_repeated(&e);
    assert!(secrets_core::one_line(&e).contains("No such file or directory"));
    if let Err(e) = read_secret(&file.join(".env"), limits::ENV) {
        assert_not_repeated(&e);
    }
    // Errors wrapping it.
    let e = secrets_core::stack::Stack::load(&gone.join("secrets.toml")).unwrap_err();
    assert_not_repeated(&e);
}

/// Error messages name no command-line option: a deploy tool linking the
/// library has none of them; the CLI appends its own hints.
#[test]
fn error_messages_name_no_cli_option() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    let mut found = Vec::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        let text = std::fs::read_to_string(&f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            if !l.trim_start().starts_with("#[error(") {
                continue;
            }
            // The attribute with the next lines of a wrapped one.
            let attr = lines[i..lines.len().min(i + 3)].join(" ");
            let attr = &attr[..attr.find(")]").unwrap_or(attr.len())];
            if [" --", "`--", "(--"].iter().any(|o| attr.contains(o)) {
                found.push(format!("{}:{}: {}", rel.display(), i + 1, l.trim()));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn components_given_directly_are_placed_at_the_argument() {
    let e = secrets_core::stack::Stack::from_components("s", &["postgress".into()]).unwrap_err();
    match &e {
        secrets_core::manifest::ManifestError::Unknown { origin, .. } => {
            assert!(origin.is_argument(), "{e}")
        }
        other => panic!("{other}"),
    }
    assert!(!e.to_string().contains("--"), "{e}");
}

//! `tests/run` says what it skipped and why. It runs here on the export tests
//! only (running the whole suite from inside a test would be too slow), with
//! `--no-install` (a test installs nothing) and a PATH without `dockerd`: the
//! swarm test must be named as skipped for it, and fail under CI=true.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Output};

use secrets_tests::{repo_root, SKIP_LOG_VAR};

/// PATH with every directory holding `program` replaced by a copy of it
/// (symlinks) without `program`, so that everything else stays reachable.
fn path_without(program: &str, shadows: &Path) -> OsString {
    let path = std::env::var_os("PATH").expect("PATH is set");
    let dirs: Vec<_> = std::env::split_paths(&path)
        .enumerate()
        .map(|(i, dir)| {
            if !dir.join(program).exists() {
                return dir;
            }
            let shadow = shadows.join(i.to_string());
            std::fs::create_dir(&shadow).unwrap();
            for entry in std::fs::read_dir(&dir).unwrap() {
                let name = entry.unwrap().file_name();
                if name != program {
                    std::os::unix::fs::symlink(dir.join(&name), shadow.join(&name)).unwrap();
                }
            }
            shadow
        })
        .collect();
    std::env::join_paths(dirs).unwrap()
}

/// `tests/run --no-install` on the export tests, recording skips in `log`.
fn run_export_tests(path: &OsString, log: &Path, ci: bool) -> (Output, String) {
    let mut c = Command::new("bash");
    c.arg(repo_root().join("tests/run"))
        .args(["--no-install", "-p", "secrets-tests", "--test", "export"])
        .env("PATH", path)
        .env(SKIP_LOG_VAR, log)
        .env_remove("CI")
        .env_remove("CARGO_TERM_COLOR");
    if ci {
        c.env("CI", "true");
    }
    let o = c.output().expect("bash runs tests/run");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o, text)
}

/// The last two lines: the `skipped:` summary, then the `total:` line.
fn summary(text: &str) -> (&str, &str) {
    let mut last = text.lines().rev();
    let total = last.next().unwrap_or("");
    let skipped = last.next().unwrap_or("");
    (skipped, total)
}

#[test]
fn the_summary_names_the_docker_test_skipped_and_ci_fails_it() {
    let d = tempfile::tempdir().unwrap();
    let path = path_without("dockerd", d.path());
    let log = d.path().join("skips.log");

    let (o, text) = run_export_tests(&path, &log, false);
    assert!(o.status.success(), "{text}");
    let recorded = std::fs::read_to_string(&log).unwrap();
    let skips: Vec<&str> = recorded.lines().collect();
    assert!(
        skips
            .iter()
            .any(|l| l.starts_with("export\tswarm_export_against_a_real_engine\tdockerd missing\t")),
        "{recorded}"
    );
    // Every export test that skips does so for want of dockerd.
    assert!(
        skips.iter().all(|l| l.contains("\tdockerd missing\t")),
        "{recorded}"
    );
    assert!(
        text.contains("\nskipped export::swarm_export_against_a_real_engine: dockerd missing ("),
        "{text}"
    );
    let n = skips.len();
    let (skipped, total) = summary(&text);
    assert_eq!(
        skipped,
        format!("skipped: {n} (dockerd missing: {n})"),
        "{text}"
    );
    assert!(
        total.starts_with("total: ") && total.ends_with(&format!(" passed, 0 failed, {n} skipped")),
        "{text}"
    );

    let (o, text) = run_export_tests(&path, &log, true);
    assert!(
        !o.status.success(),
        "CI=true passed despite the skip: {text}"
    );
    assert!(
        text.contains("dockerd missing, which CI=true requires"),
        "{text}"
    );
    assert!(
        text.contains("test swarm_export_against_a_real_engine ... FAILED"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "",
        "the run clears the log"
    );
    let (skipped, total) = summary(&text);
    assert_eq!(skipped, "skipped: 0", "{text}");
    assert!(
        total.ends_with(&format!(" {n} failed, 0 skipped")),
        "{text}"
    );
}

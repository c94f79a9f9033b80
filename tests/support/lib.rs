//! Helpers shared by the end-to-end tests: the built binary, temporary
//! directories, and third-party readers that are required in CI.

pub mod docker;
pub mod postgres;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Whether this run is CI, where a missing component fails instead of skipping.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Skips (returns false, saying why) or, in CI, fails when `what` is missing.
pub fn require(available: bool, what: &str, install: &str) -> bool {
    if available {
        return true;
    }
    if in_ci() {
        panic!("{what} is required when CI=true but is missing; install it with: {install}");
    }
    eprintln!("SKIPPED: {what} is not available here ({install})");
    false
}

/// The `secrets` binary, built from the current sources once per test
/// process (`cargo test -p secrets-tests` alone would not rebuild it).
pub fn secrets_bin() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        escargot::CargoBuild::new()
            .package("secrets-cli")
            .bin("secrets")
            .current_release()
            .run()
            .expect("cargo builds the secrets binary")
            .path()
            .to_owned()
    })
    .clone()
}

/// A `secrets` command with a clean environment and `dir` as working directory.
pub fn secrets(dir: &Path) -> Command {
    let mut c = Command::new(secrets_bin());
    c.current_dir(dir)
        .env_remove("RUST_BACKTRACE")
        .env("NO_COLOR", "1");
    c
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the repository")
        .to_owned()
}

/// Whether `python3` can import every module named.
pub fn python_has(modules: &[&str]) -> bool {
    let imports = modules
        .iter()
        .map(|m| format!("import {m}"))
        .collect::<Vec<_>>()
        .join("; ");
    Command::new("python3")
        .args(["-c", &imports])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Requires the Python modules (pip packages in parentheses for the message).
pub fn require_python(modules: &[&str], pip: &str) -> bool {
    require(
        python_has(modules),
        &format!("python3 with {}", modules.join(", ")),
        &format!("pip install {pip}"),
    )
}

/// Runs a Python script (the script is code, never a secret) with `args`,
/// feeding `stdin`; secrets travel on stdin or in files, never in argv.
pub fn python(script: &str, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(stdin)
        .expect("write to python");
    child.wait_with_output().expect("python3 finishes")
}

/// Whether a program is on PATH.
pub fn have_program(name: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether we run as root (ownership tests need it).
pub fn is_root() -> bool {
    nix_like_geteuid() == 0
}

fn nix_like_geteuid() -> u32 {
    // `id -u` avoids an unsafe call or a nix dependency here.
    Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(u32::MAX)
}

/// The file mode bits of a path.
pub fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).expect("stat").mode() & 0o7777
}

/// Names in a directory, sorted.
pub fn dir_entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Whether strace is here (fault injection); fails in CI when it is not.
pub fn require_strace() -> bool {
    require(have_program("strace"), "strace", "apt-get install strace")
}

/// Runs `secrets ARGS` in `dir` under strace with one fault injected, such
/// as `inject=rename:error=EIO:when=2` on the calls `trace` names.
pub fn secrets_under_strace(dir: &Path, trace: &str, inject: &str, args: &[&str]) -> Output {
    Command::new("strace")
        .current_dir(dir)
        .args(["-f", "-qq", "-o", "/dev/null", "-e", trace, "-e", inject])
        .arg(secrets_bin())
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("strace runs")
}

/// `secrets write --out .env --with COMPONENTS` in `dir`, which must succeed.
pub fn write_env(dir: &Path, components: &str) {
    let o = secrets(dir)
        .args(["write", "--out", ".env", "--with", components])
        .output()
        .expect("secrets runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// After a failed write: `dir/.env` holds exactly `before`, and nothing but
/// it is there (no temporary file, no lock file).
pub fn assert_env_untouched(dir: &Path, before: &[u8], context: &str) {
    assert_eq!(
        std::fs::read(dir.join(".env")).expect(".env exists"),
        before,
        "{context}: the old file changed"
    );
    assert_eq!(
        dir_entries(dir),
        [".env"],
        "{context}: a temporary file remains"
    );
}

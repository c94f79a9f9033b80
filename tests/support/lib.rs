//! Helpers shared by the end-to-end tests: the built binary, temporary
//! directories, and third-party readers that are required in CI.

pub mod attacker;
pub mod docker;
pub mod mariadb;
pub mod postgres;
pub mod redis;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Whether this run is CI, where a missing component fails instead of skipping.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Skips (returns false, recording why) or, in CI, fails when `what` is missing.
pub fn require(available: bool, what: &str, install: &str) -> bool {
    if !available {
        skip(&format!("{what} missing"), install);
    }
    available
}

/// The environment variable naming the skip log; `tests/run` sets it and
/// clears the file before a run, then summarises it.
pub const SKIP_LOG_VAR: &str = "SECRETS_SKIP_LOG";

/// Where skips are recorded: `$SECRETS_SKIP_LOG`, else `skipped-tests.log`
/// in the target directory of this test binary (where `tests/run` puts it).
pub fn skip_log() -> PathBuf {
    if let Some(p) = std::env::var_os(SKIP_LOG_VAR).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    // The binary is `target/<profile>/deps/<name>-<hash>`.
    exe.ancestors()
        .nth(3)
        .unwrap_or(Path::new("."))
        .join("skipped-tests.log")
}

/// Records that the current test skipped (part of) its work for `reason`,
/// such as `dockerd missing`; under `CI=true` fails instead.
///
/// One line per skip, `binary TAB test TAB reason TAB install`, appended
/// with one write to a file opened with O_APPEND, so that the test threads
/// and test binaries running at once do not interleave their lines.
pub fn skip(reason: &str, install: &str) {
    if in_ci() {
        panic!("{reason}, which CI=true requires; install it with: {install}");
    }
    let exe = std::env::current_exe().unwrap_or_default();
    let stem = exe.file_stem().unwrap_or_default().to_string_lossy();
    // Cargo names test binaries `<target>-<hash>`.
    let binary = stem.rsplit_once('-').map_or(&*stem, |(b, _)| b);
    let thread = std::thread::current();
    // libtest runs each test in a thread named after it.
    let test = thread.name().unwrap_or("?");
    let field = |s: &str| s.replace(['\t', '\n'], " ");
    let line = format!(
        "{}\t{}\t{}\t{}\n",
        field(binary),
        field(test),
        field(reason),
        field(install)
    );
    let log = skip_log();
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .and_then(|mut f| f.write_all(line.as_bytes()));
    // Straight to the stderr stream: libtest captures `eprintln!` of passing
    // tests, which hid skips from a plain `cargo test`.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {binary}::{test}: {reason} ({install})"
    );
    if let Err(e) = written {
        panic!("cannot record the skip in {}: {e}", log.display());
    }
}

/// The `secrets` binary, built from the current sources once per test
/// process (`cargo test -p secrets-tests` alone would not rebuild it).
pub fn secrets_bin() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        escargot::CargoBuild::new()
            .package("stack-secrets")
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

/// Those of `modules` that `python3` cannot import (all of them without
/// a `python3`).
pub fn python_missing<'a>(modules: &[&'a str]) -> Vec<&'a str> {
    let script = "import importlib, sys\nfor m in sys.argv[1:]:\n    try: importlib.import_module(m)\n    except Exception: print(m)\n";
    let Ok(o) = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(modules)
        .stderr(Stdio::null())
        .output()
    else {
        return modules.to_vec();
    };
    if !o.status.success() {
        return modules.to_vec();
    }
    let out = String::from_utf8_lossy(&o.stdout);
    modules
        .iter()
        .copied()
        .filter(|m| out.lines().any(|l| l == *m))
        .collect()
}

/// python-dotenv, as `(module, pip package)` for [`require_python`].
pub const DOTENV: (&str, &str) = ("dotenv", "python-dotenv");
/// cryptography, as `(module, pip package)` for [`require_python`].
pub const CRYPTOGRAPHY: (&str, &str) = ("cryptography", "cryptography");

/// Requires Python modules, given as `(module, pip package)`; the skip
/// names the missing pip packages, such as `PyJWT missing`.
pub fn require_python(modules: &[(&str, &str)]) -> bool {
    let names: Vec<&str> = modules.iter().map(|(m, _)| *m).collect();
    let missing = python_missing(&names);
    let pip: Vec<&str> = modules
        .iter()
        .filter(|(m, _)| missing.contains(m))
        .map(|(_, p)| *p)
        .collect();
    require(
        missing.is_empty(),
        &pip.join(", "),
        &format!("pip install {}", pip.join(" ")),
    )
}

/// Runs a Python script (the script is code, never a secret) with `args`,
/// feeding `stdin`; secrets travel on stdin or in files, never in argv.
pub fn python(script: &str, args: &[&str], stdin: &[u8]) -> Output {
    let mut c = Command::new("python3");
    c.arg("-c").arg(script).args(args);
    run_piped(c, stdin)
}

/// Runs `command` with `stdin` written to it and its output captured.
pub fn run_piped(mut command: Command, stdin: &[u8]) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the program runs");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(stdin)
        .expect("write to its stdin");
    child.wait_with_output().expect("the program finishes")
}

/// Where `tests/install` puts the npm packages the tests drive (npm
/// `dotenv` 18 and 16 as `dotenv16`, `@dotenvx/dotenvx`); the environment
/// variable `SECRETS_TEST_NODE` names another prefix.
pub const NODE_PREFIX: &str = "/opt/secrets-test-node";

/// The npm prefix in use: `$SECRETS_TEST_NODE`, else [`NODE_PREFIX`].
pub fn node_prefix() -> PathBuf {
    std::env::var_os("SECRETS_TEST_NODE")
        .filter(|p| !p.is_empty())
        .map_or_else(|| PathBuf::from(NODE_PREFIX), PathBuf::from)
}

/// The npm packages [`node`] scripts `require`, by directory under
/// `node_modules`.
pub const NODE_PACKAGES: &[&str] = &["dotenv", "dotenv16", "@dotenvx/dotenvx"];

/// Requires `node` and the npm packages under [`node_prefix`].
pub fn require_node_readers() -> bool {
    let modules = node_prefix().join("node_modules");
    let missing: Vec<&str> = NODE_PACKAGES
        .iter()
        .copied()
        .filter(|p| !modules.join(p).join("package.json").is_file())
        .collect();
    require(have_program("node"), "node", "apt-get install nodejs")
        && require(
            missing.is_empty(),
            &format!(
                "npm packages {} in {}",
                missing.join(", "),
                modules.display()
            ),
            "tests/install (npm install --prefix /opt/secrets-test-node ...)",
        )
}

/// Runs a Node script (code, never a secret) with the packages of
/// [`node_prefix`] on `NODE_PATH` and `args`, in `dir`. PATH is empty:
/// dotenvx runs `$(...)` in values through a shell, which then finds no
/// program.
pub fn node(script: &str, args: &[&str], dir: &Path) -> Output {
    let node = Command::new("sh")
        .args(["-c", "command -v node"])
        .output()
        .expect("sh runs");
    let node = String::from_utf8_lossy(&node.stdout).trim().to_owned();
    Command::new(node)
        .arg("-e")
        .arg(script)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", "")
        .env("NODE_PATH", node_prefix().join("node_modules"))
        .stdin(Stdio::null())
        .output()
        .expect("node runs")
}

/// A catalog file written by [`write_catalogs`]: its path, the document, and
/// the values it holds (external ones empty).
pub type CatalogFile = (
    PathBuf,
    secrets_core::envfile::Document,
    std::collections::BTreeMap<String, String>,
);

/// Every catalog component, generated and written by the library (as
/// `secrets write` writes them): one file per group of components that
/// compose ([`secrets_core::manifest::catalog::composable_groups`]), `.env`
/// for the first, `.env.group2`... for the others, in `dir`.
pub fn write_catalogs(dir: &Path) -> Vec<CatalogFile> {
    use secrets_core::stack::{Existing, Stack};
    let groups = secrets_core::manifest::catalog::composable_groups().expect("the catalog parses");
    groups
        .iter()
        .enumerate()
        .map(|(i, group)| {
            let group: Vec<String> = group.iter().map(|c| c.to_string()).collect();
            let stack = Stack::from_components("all", &group).expect("a group composes");
            let now = std::time::SystemTime::now();
            let resolved = stack
                .resolve(&Existing::new(), &mut secrets_core::generate::os_rng(), now)
                .expect("the catalog resolves");
            let (doc, _) = secrets_core::envfile::render::new_document(&stack, &resolved, now);
            let path = match i {
                0 => dir.join(".env"),
                _ => dir.join(format!(".env.group{}", i + 1)),
            };
            std::fs::write(&path, doc.render().as_bytes()).expect("write the catalog");
            let mut expected: std::collections::BTreeMap<String, String> = resolved
                .values
                .iter()
                .map(|(k, v)| (k.clone(), v.expose().to_owned()))
                .collect();
            for name in resolved.missing_external {
                expected.insert(name, String::new());
            }
            (path, doc, expected)
        })
        .collect()
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

/// One cut of a kill-and-resume test: `strace` kills the process at the
/// `when`-th of the `calls` syscalls, and `--resume` then says it `outcome`
/// (`undid` or `completed`) the interrupted rotation.
#[derive(Debug, Clone, Copy)]
pub struct Cut {
    /// The syscalls traced (`fsync`, `connect`, `rename,renameat,renameat2`).
    pub calls: &'static str,
    /// Which of them is the last.
    pub when: u32,
    /// What `--resume` reports.
    pub outcome: &'static str,
}

/// For each of `cuts`: a new directory prepared by `setup`, `rotate` run
/// there and killed at the cut, which must leave the journal named
/// `journal`; then `resume`, which must succeed, say the cut's outcome and
/// leave no journal (nor a killed write's temporary copy of it). `agree`
/// then checks the `.env` against the server: `(dir, context, outcome)`.
pub fn kill_at_each_cut_then_resume(
    cuts: &[Cut],
    journal: &str,
    rotate: &[&str],
    resume: &[&str],
    setup: impl Fn(&Path),
    agree: impl Fn(&Path, &str, &str),
) {
    for cut in cuts {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let dir = dir.path();
        setup(dir);
        let o = secrets_under_strace(
            dir,
            &format!("trace={}", cut.calls),
            &format!("inject={}:signal=SIGKILL:when={}", cut.calls, cut.when),
            rotate,
        );
        let context = format!("killed at {} #{}", cut.calls, cut.when);
        assert_ne!(o.status.code(), Some(0), "{context}");
        assert!(
            dir_entries(dir).iter().any(|n| n == journal),
            "{context}: {:?}",
            dir_entries(dir)
        );
        let o = secrets(dir).args(resume).output().expect("secrets runs");
        let (out, err) = (
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr),
        );
        assert!(o.status.success(), "{context}: {err}");
        assert!(
            out.starts_with(&format!("{} the interrupted rotation", cut.outcome)),
            "{context}: {out}"
        );
        agree(dir, &context, cut.outcome);
        assert!(
            !dir_entries(dir).iter().any(|n| n.contains("journal")),
            "{context}: {:?}",
            dir_entries(dir)
        );
    }
}

//! The CLI as a packaged tool: completions that real shells load and
//! complete with, man pages that man renders without warnings, help
//! examples that are the README's, "did you mean" for unknown names, `-q`
//! and `--color` on every command, and crates that package without their
//! fixtures.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use secrets_tests::{have_program, repo_root, require, secrets, write_env};

fn run(dir: &Path, args: &[&str]) -> Output {
    secrets(dir).args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Every command, by its words after `secrets`.
const COMMANDS: &[&str] = &[
    "",
    "generate",
    "catalog",
    "init",
    "write",
    "rotate",
    "check",
    "audit",
    "export",
    "export swarm",
    "export compose",
    "export k8s",
    "hash",
    "hash scram",
    "completions",
    "man",
    "encrypt",
    "decrypt",
    "edit",
    "run",
    "set",
    "get",
];

/// The completion script of `shell`, written into `dir`.
fn completion_script(dir: &Path, shell: &str, file: &str) -> std::path::PathBuf {
    let o = run(dir, &["completions", shell]);
    assert!(o.status.success(), "{}", stderr(&o));
    let path = dir.join(file);
    fs::write(&path, &o.stdout).unwrap();
    path
}

#[test]
fn bash_completion_completes_subcommands_in_a_real_bash() {
    if !require(have_program("bash"), "bash", "apt-get install bash") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let script = completion_script(d.path(), "bash", "secrets.bash");
    // What bash does on TAB: COMP_WORDS and COMP_CWORD set, the function
    // registered by `complete -F` called with the command, the current and
    // the previous word; it answers in COMPREPLY.
    let driver = r#"
source "$1"
complete -p secrets
for line in "secrets ro" "secrets export s" "secrets rotate --dr" "secrets completions z"; do
  read -ra COMP_WORDS <<<"$line"
  COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
  COMP_LINE=$line
  COMP_POINT=${#line}
  COMPREPLY=()
  fn=$(complete -p secrets | sed -n 's/.*-F \([^ ]*\).*/\1/p')
  "$fn" secrets "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
  echo "$line => ${COMPREPLY[*]}"
done
"#;
    let o = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", driver, "bash"])
        .arg(&script)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].contains("-F _secrets") && lines[0].ends_with(" secrets"));
    assert_eq!(
        lines[1..],
        [
            "secrets ro => rotate",
            "secrets export s => swarm",
            "secrets rotate --dr => --dry-run",
            "secrets completions z => zsh",
        ]
    );
}

#[test]
fn zsh_completion_loads_and_registers() {
    if !require(have_program("zsh"), "zsh", "apt-get install zsh") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let script = completion_script(d.path(), "zsh", "_secrets");
    // -f: no user startup files; compinit -D: no dump file written.
    let o = Command::new("zsh")
        .args([
            "-f",
            "-c",
            "autoload -Uz compinit && compinit -u -D && source \"$1\" && print -r -- $_comps[secrets] && whence -w _secrets",
            "zsh",
        ])
        .arg(&script)
        .env("HOME", d.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    assert_eq!(stdout(&o), "_secrets\n_secrets: function\n");
}

#[test]
fn fish_completion_loads_and_completes() {
    if !require(have_program("fish"), "fish", "apt-get install fish") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let script = completion_script(d.path(), "fish", "secrets.fish");
    let o = Command::new("fish")
        .args([
            "--no-config",
            "-c",
            "source $argv[1]; complete -C 'secrets ro'; complete -C 'secrets export s'",
        ])
        .arg(&script)
        .env("HOME", d.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    let out = stdout(&o);
    let names: Vec<&str> = out.lines().map(|l| l.split('\t').next().unwrap()).collect();
    assert_eq!(names, ["rotate", "swarm"]);
}

/// Public pages need no private directory: a project made under umask 002
/// (group-writable) takes them, and the new directory is 0755.
#[test]
fn man_pages_go_into_a_group_writable_project() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let project = d.path().join("project");
    fs::create_dir(&project).unwrap();
    fs::set_permissions(&project, fs::Permissions::from_mode(0o775)).unwrap();
    let o = run(&project, &["man", "--dir", "pages"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mode = fs::metadata(project.join("pages"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o755);
    let page = fs::metadata(project.join("pages/secrets.1")).unwrap();
    assert_eq!(page.permissions().mode() & 0o7777, 0o644);
    // Parents are not made: a typo in the path is an error, not a tree.
    let o = run(&project, &["man", "--dir", "nothere/pages"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!project.join("nothere").exists());
}

#[test]
fn man_pages_render_without_warnings() {
    if !require(have_program("man"), "man", "apt-get install man-db") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let o = run(d.path(), &["man", "--dir", "pages"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut pages: Vec<String> = fs::read_dir(d.path().join("pages"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    // One page per command, named as man(1) looks them up.
    let mut expected: Vec<String> = COMMANDS
        .iter()
        .map(|c| {
            let name = ["secrets", c].join(" ");
            format!("{}.1", name.trim().replace(' ', "-"))
        })
        .collect();
    expected.sort();
    assert_eq!(pages, expected);
    for page in &pages {
        // Every groff warning on (`--warnings=w`), at the width of a
        // terminal: anything groff finds odd is on stderr.
        let o = Command::new("man")
            .args(["--warnings=w", "-l"])
            .arg(d.path().join("pages").join(page))
            .env("MANWIDTH", "80")
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .output()
            .unwrap();
        assert!(o.status.success(), "{page}: {}", stderr(&o));
        assert_eq!(stderr(&o), "", "{page}");
        let text = stdout(&o);
        for section in ["NAME", "SYNOPSIS", "OPTIONS", "EXIT STATUS", "EXAMPLES"] {
            assert!(
                text.contains(&format!("\n{section}\n")),
                "{page}: no {section}"
            );
        }
    }
    let rotate = fs::read_to_string(d.path().join("pages/secrets-rotate.1")).unwrap();
    let o = Command::new("man")
        .args(["-l", "-"])
        .env("MANWIDTH", "80")
        .env("MANPAGER", "cat")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write as _;
            c.stdin.take().unwrap().write_all(rotate.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    // Examples stay one command per line, as in --help.
    assert!(stdout(&o)
        .contains("secrets rotate --env .env --manifest secrets.toml --due --keep-previous\n"));
}

/// The command lines of the README's tour (its shell blocks up to the next
/// `## ` heading), continuations joined, comments and spacing dropped.
fn tour_examples() -> Vec<String> {
    let readme = fs::read_to_string(repo_root().join("README.md")).unwrap();
    let tour = readme
        .split("\n## Tour\n")
        .nth(1)
        .expect("README has a Tour section");
    let tour = tour.split("\n## ").next().unwrap();
    let mut examples = Vec::new();
    let mut in_sh = false;
    let mut pending = String::new();
    for line in tour.lines() {
        if line.starts_with("```") {
            in_sh = line == "```sh";
            continue;
        }
        if !in_sh || line.trim_start().starts_with('#') {
            continue;
        }
        let code = line.split(" # ").next().unwrap().trim_end();
        if let Some(head) = code.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        pending.push_str(code);
        let full = normalize(&std::mem::take(&mut pending));
        if full.starts_with("secrets ") || full.contains("| secrets ") {
            examples.push(full);
        }
    }
    examples
}

fn normalize(text: &str) -> String {
    text.replace("\\\n", " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn help_examples_are_the_readme_tour() {
    let examples = tour_examples();
    assert!(examples.len() >= 10, "{examples:?}");
    let d = tempfile::tempdir().unwrap();
    for example in &examples {
        let words: Vec<&str> = example
            .split("secrets ")
            .nth(1)
            .unwrap()
            .split(' ')
            .collect();
        let path: Vec<&str> = match words[0] {
            "export" | "hash" => words[..2].to_vec(),
            _ => words[..1].to_vec(),
        };
        let o = secrets(d.path())
            .args(&path)
            .arg("--help")
            .output()
            .unwrap();
        assert!(o.status.success(), "{path:?}: {}", stderr(&o));
        let help = normalize(&stdout(&o));
        assert!(
            help.contains(example.as_str()),
            "`secrets {} --help` lacks the README's `{example}`",
            path.join(" ")
        );
    }
}

#[test]
fn every_command_lists_exit_codes_and_takes_the_global_options() {
    let d = tempfile::tempdir().unwrap();
    for command in COMMANDS {
        let words: Vec<&str> = command.split_whitespace().collect();
        for flag in ["-h", "--help"] {
            let o = secrets(d.path()).args(&words).arg(flag).output().unwrap();
            assert!(o.status.success(), "{command} {flag}");
            let help = stdout(&o);
            assert!(help.contains("Exit codes:\n"), "{command} {flag}");
            assert!(
                help.contains("  2  usage or operational error"),
                "{command}"
            );
            let findings = matches!(*command, "" | "check" | "audit");
            assert_eq!(help.contains("  1  findings"), findings, "{command} {flag}");
            for option in ["--color <WHEN>", "-q, --quiet"] {
                assert!(help.contains(option), "{command} {flag}: no {option}");
            }
            if flag == "--help" {
                assert!(help.contains("Examples:\n"), "{command}");
            }
        }
    }
    // A usage error is exit code 2, as listed.
    let o = run(d.path(), &["rotate", "--no-such-option"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn every_command_says_its_version_as_secrets() {
    let d = tempfile::tempdir().unwrap();
    let expected = format!("secrets {}\n", env!("CARGO_PKG_VERSION"));
    for command in COMMANDS {
        let words: Vec<&str> = command.split_whitespace().collect();
        let o = secrets(d.path())
            .args(&words)
            .arg("--version")
            .output()
            .unwrap();
        assert!(o.status.success(), "{command}: {}", stderr(&o));
        assert_eq!(stdout(&o), expected, "{command} --version");
    }
}

#[test]
fn check_and_export_read_the_dotenv_of_the_working_directory_by_default() {
    let d = tempfile::tempdir().unwrap();
    // Without a .env: the error names the file it looked for.
    let o = run(d.path(), &["check"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains(".env"), "{}", stderr(&o));
    write_env(d.path(), "postgres");
    for words in [&["check"][..], &["export", "k8s", "--name", "app"][..]] {
        let implicit = run(d.path(), words);
        let explicit = run(d.path(), &[words, &["--env", ".env"][..]].concat());
        assert_eq!(implicit.status.code(), explicit.status.code(), "{words:?}");
        assert_eq!(implicit.stdout, explicit.stdout, "{words:?}");
        assert!(
            implicit.status.code().is_some_and(|c| c < 2),
            "{words:?}: {}",
            stderr(&implicit)
        );
    }
}

/// Runs `secrets ARGS` in `dir`: exit code 2, nothing on stdout, and the
/// one line of stderr.
fn error_line(dir: &Path, args: &[&str]) -> String {
    let o = run(dir, args);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    assert!(o.stdout.is_empty(), "{args:?}");
    let e = stderr(&o);
    assert_eq!(e.lines().count(), 1, "{e}");
    e
}

/// An error's cause is printed once: the library's messages do not repeat
/// their source and the CLI joins the chain on one line.
#[test]
fn an_error_names_its_cause_once() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let e = error_line(dir, &["check", "--env", "/nonexistent"]);
    assert_eq!(e.to_lowercase().matches("no such file").count(), 1, "{e}");
    // A cause from the system: open(2) fails with ENOTDIR.
    fs::write(dir.join("file"), "").unwrap();
    let e = error_line(dir, &["check", "--env", "file/.env"]);
    assert_eq!(
        e,
        "secrets: error: file/.env: open failed: Not a directory (os error 20)\n"
    );
}

#[test]
fn unknown_names_get_one_suggestion_when_one_is_close() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    // Components: --with and a manifest's include.
    assert_eq!(
        error_line(dir, &["generate", "--with", "postgress"]),
        "secrets: error: --with: unknown component `postgress`; did you mean `postgres`?\n"
    );
    assert_eq!(
        error_line(dir, &["generate", "--with", "redis,oracle"]),
        "secrets: error: --with: unknown component `oracle`; `secrets catalog` lists the components\n"
    );
    fs::write(dir.join("m.toml"), "[stack]\ninclude = [\"hasur\"]\n").unwrap();
    assert_eq!(
        error_line(dir, &["generate", "--manifest", "m.toml"]),
        "secrets: error: m.toml:2:12: unknown component `hasur`; did you mean `hasura`?\n"
    );
    // Kinds.
    fs::write(dir.join("m.toml"), "[vars.A]\nkind = \"passwrd\"\n").unwrap();
    assert_eq!(
        error_line(dir, &["generate", "--manifest", "m.toml"]),
        "secrets: error: m.toml:2:8: unknown kind `passwrd`; did you mean `password`?\n"
    );
    fs::write(
        dir.join("m.toml"),
        "[vars.A]\nkind = \"x509-certificate\"\n",
    )
    .unwrap();
    assert_eq!(
        error_line(dir, &["check", "--env", ".env", "--manifest", "m.toml"]),
        "secrets: error: m.toml:2:8: unknown kind `x509-certificate`; `secrets catalog` lists the kinds\n"
    );
    // Keys: rotate and export name keys of the file.
    write_env(dir, "postgres");
    let before = fs::read(dir.join(".env")).unwrap();
    assert_eq!(
        error_line(
            dir,
            &[
                "rotate",
                "--env",
                ".env",
                "--with",
                "postgres",
                "POSTGRES_PASWORD"
            ]
        ),
        "secrets: error: POSTGRES_PASWORD is not in the file; did you mean `POSTGRES_PASSWORD`?\n"
    );
    assert_eq!(
        error_line(dir, &["rotate", "--env", ".env", "MINIO_ROOT_USER"]),
        "secrets: error: MINIO_ROOT_USER is not in the file\n"
    );
    assert_eq!(
        error_line(
            dir,
            &[
                "export",
                "k8s",
                "--env",
                ".env",
                "--name",
                "s",
                "postgres_db"
            ]
        ),
        "secrets: error: postgres_db is not in the file; did you mean `POSTGRES_DB`?\n"
    );
    assert_eq!(
        error_line(
            dir,
            &["export", "k8s", "--env", ".env", "--name", "s", "REDIS_URL"]
        ),
        "secrets: error: REDIS_URL is not in the file\n"
    );
    assert_eq!(fs::read(dir.join(".env")).unwrap(), before);
}

#[test]
fn quiet_silences_notes_and_keeps_errors() {
    let d = tempfile::tempdir().unwrap();
    let o = run(d.path(), &["write", "--out", "a.env", "--with", "redis"]);
    assert!(o.status.success());
    assert!(
        stderr(&o).contains("secrets: created a.env"),
        "{}",
        stderr(&o)
    );
    // -q before or after the command: the file is written, nothing said.
    for (args, file) in [
        (
            ["-q", "write", "--out", "b.env", "--with", "redis"],
            "b.env",
        ),
        (
            ["write", "--out", "c.env", "--with", "redis", "-q"],
            "c.env",
        ),
    ] {
        let o = run(d.path(), &args);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stderr(&o), "", "{args:?}");
        assert!(d.path().join(file).exists());
    }
    // Results still go to stdout, and errors to stderr.
    let o = run(d.path(), &["--quiet", "catalog"]);
    assert!(stdout(&o).contains("postgres"));
    let o = run(d.path(), &["-q", "generate", "--with", "postgress"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("secrets: error: "), "{}", stderr(&o));
}

/// `secrets ARGS` in `dir` on a pseudo-terminal (util-linux `script`), with
/// `NO_COLOR` set or not: what it printed.
fn on_terminal(dir: &Path, args: &str, no_color: bool) -> String {
    let mut c = Command::new("script");
    c.current_dir(dir)
        .args(["-q", "-e", "-c"])
        .arg(format!("{} {args}", secrets_tests::secrets_bin().display()))
        .arg("/dev/null")
        .env_remove("NO_COLOR");
    if no_color {
        c.env("NO_COLOR", "1");
    }
    let o = c.output().unwrap();
    stdout(&o)
}

#[test]
fn color_follows_the_option_then_no_color_then_the_terminal() {
    if !require(
        have_program("script"),
        "script",
        "apt-get install util-linux",
    ) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    fs::write(dir.join(".env"), "REDIS_PASSWORD=change-me\n").unwrap();
    let check = "check --env .env --with redis";
    let escape = |s: &str| s.contains('\x1b');
    // On a terminal: colour unless NO_COLOR or --color never.
    let plain = on_terminal(dir, check, false);
    assert!(plain.contains("REDIS_PASSWORD"), "{plain}");
    assert!(escape(&plain), "no colour on a terminal: {plain:?}");
    assert!(!escape(&on_terminal(dir, check, true)));
    assert!(!escape(&on_terminal(
        dir,
        &format!("--color never {check}"),
        false
    )));
    assert!(!escape(&on_terminal(
        dir,
        &format!("{check} --color=never"),
        false
    )));
    // --color always outranks NO_COLOR.
    assert!(escape(&on_terminal(
        dir,
        &format!("{check} --color always"),
        true
    )));
    // Into a pipe: colour only when asked for.
    let piped = |args: &[&str], no_color: bool| {
        let mut c = secrets(dir);
        c.args(args);
        if !no_color {
            c.env_remove("NO_COLOR");
        }
        stdout(&c.output().unwrap())
    };
    let args = ["check", "--env", ".env", "--with", "redis"];
    assert!(!escape(&piped(&args, false)));
    let always = piped(&[&args[..], &["--color", "always"]].concat(), true);
    assert!(
        always.contains(" \x1b[1;3"),
        "no coloured severity: {always:?}"
    );
    // clap's own help follows the option as well.
    assert!(escape(&piped(&["--color", "always", "--help"], false)));
    assert!(!escape(&on_terminal(
        dir,
        "--color never rotate --help",
        false
    )));
    assert!(escape(&on_terminal(dir, "rotate --help", false)));
}

/// The file list of a package, as `cargo package --list` gives it.
fn package_list(package: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let o = Command::new(cargo)
        .current_dir(repo_root())
        .args(["package", "--list", "--allow-dirty", "-p", package])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o).lines().map(str::to_owned).collect()
}

#[test]
fn published_crates_hold_sources_and_no_fixtures_or_benchmarks() {
    let metadata = [
        ".cargo_vcs_info.json",
        "Cargo.lock",
        "Cargo.toml",
        "Cargo.toml.orig",
        "README.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
    ];
    for (package, needed, allowed_dirs) in [
        (
            "stack-secrets-core",
            &[
                "src/lib.rs",
                "catalog/postgres.toml",
                "src/suggest.rs",
                // The catalog's page in rustdoc (`include_str!`).
                "src/manifest/catalog.md",
                "LICENSE-MIT",
                "LICENSE-APACHE",
            ][..],
            &["src/", "catalog/", "tests/"][..],
        ),
        (
            "stack-secrets",
            &[
                "src/main.rs",
                "src/manual.rs",
                "LICENSE-MIT",
                "LICENSE-APACHE",
            ][..],
            &["src/", "schemas/"][..],
        ),
    ] {
        let files = package_list(package);
        for n in needed {
            assert!(files.iter().any(|f| f == n), "{package} lacks {n}");
        }
        for f in &files {
            assert!(
                !f.contains("fixtures") && !f.contains("bench"),
                "{package} ships {f}"
            );
            let known = metadata.contains(&f.as_str())
                || allowed_dirs.iter().any(|d| f.starts_with(d))
                    && (f.ends_with(".rs")
                        || f.starts_with("catalog/") && f.ends_with(".toml")
                        || f.starts_with("src/strength/") && f.ends_with(".bin")
                        || f == "src/manifest/catalog.md"
                        || f.starts_with("schemas/") && f.ends_with(".json"));
            assert!(known, "{package} ships {f}");
            // Integration tests only, one level: no data directory under tests/.
            if let Some(rest) = f.strip_prefix("tests/") {
                assert!(!rest.contains('/'), "{package} ships {f}");
            }
        }
    }
}

/// PATH with the built `secrets` first, as an installed one would be.
fn path_with_secrets() -> String {
    let bin = secrets_tests::secrets_bin();
    let dir = bin.parent().unwrap().display().to_string();
    format!("{dir}:{}", std::env::var("PATH").unwrap_or_default())
}

/// A git work tree in `dir` with a world-readable `.env` that git does not
/// ignore: two high findings (SA001 file-permissions, SA004 git-not-ignored).
fn leaky_work_tree(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let o = Command::new("git")
        .current_dir(dir)
        .args(["init", "-q", "."])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let env = dir.join(".env");
    fs::write(&env, "REDIS_PASSWORD=Xk3dEf7hIj9kLm1nOp2qRs4tUv6wXy8z\n").unwrap();
    fs::set_permissions(&env, fs::Permissions::from_mode(0o644)).unwrap();
}

#[test]
fn pre_commit_hook_fails_on_high_findings_and_passes_once_fixed() {
    if !require(have_program("git"), "git", "apt-get install git")
        || !require(
            have_program("pre-commit"),
            "pre-commit",
            "pip install 'pre-commit>=4.4'",
        )
    {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    leaky_work_tree(work.path());
    // try-repo: the hooks of this repository (.pre-commit-hooks.yaml, with
    // uncommitted changes) as a project's config would name them.
    let hook = || {
        Command::new("pre-commit")
            .current_dir(work.path())
            .arg("try-repo")
            .arg(repo_root())
            .args(["secrets-audit", "--all-files"])
            .env("PATH", path_with_secrets())
            .env("PRE_COMMIT_HOME", home.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let o = hook();
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    assert!(
        out.contains("secrets audit....") && out.contains("Failed"),
        "{out}"
    );
    assert!(out.contains("high SA001 file-permissions"), "{out}");
    assert!(out.contains("high SA004 git-not-ignored"), "{out}");
    // Fixed as the findings say: the hook passes (a low finding remains).
    let o = run(work.path(), &["audit", "--fix", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = hook();
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("Passed"), "{}", stdout(&o));
}

/// Every text a user copies from: the README, SECURITY.md, the examples,
/// the pre-commit hooks and the packaging scripts.
fn copied_texts() -> Vec<(String, String)> {
    let root = repo_root();
    let mut files = vec![
        root.join("README.md"),
        root.join("SECURITY.md"),
        root.join(".pre-commit-hooks.yaml"),
    ];
    for dir in ["examples", "examples/ci", "packaging"] {
        for entry in fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                files.push(path);
            }
        }
    }
    files
        .into_iter()
        .map(|f| (f.display().to_string(), fs::read_to_string(&f).unwrap()))
        .collect()
}

#[test]
fn no_text_installs_or_depends_on_a_registry_crate_we_do_not_own() {
    // crates.io's secrets-core and secrets-cli are other projects; ours are
    // stack-secrets-core and stack-secrets, installed from a checkout or the
    // repository until published. Tools of others (cargo-deb, cargo-fuzz,
    // dotenv-linter) are named as themselves.
    let tools = ["cargo-deb", "cargo-fuzz", "dotenv-linter"];
    for (file, text) in copied_texts() {
        for (n, line) in text.lines().enumerate() {
            let at = format!("{file}:{}: {line}", n + 1);
            if let Some(rest) = line.split("cargo install").nth(1) {
                let names_a_tool = tools.iter().any(|t| rest.contains(t));
                let from_source = rest.contains("--path") || rest.contains("--git");
                let bare = rest.trim().trim_matches('`').is_empty() || rest.starts_with('`');
                assert!(names_a_tool || from_source || bare, "{at}");
            }
            for ours in ["secrets-core", "secrets-cli"] {
                let dependency = line.contains(&format!("{ours} = \""))
                    || (line.contains(&format!("{ours} = {{"))
                        && !line.contains("package = \"stack-"));
                assert!(!dependency, "{at}");
            }
        }
    }
}

#[test]
fn code_scanning_example_uploads_the_sarif_its_audit_writes() {
    if !require(have_program("git"), "git", "apt-get install git")
        || !secrets_tests::require_python(&[("yaml", "PyYAML")])
    {
        return;
    }
    let workflow = repo_root().join("examples/ci/code-scanning.yml");
    let o = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
        ])
        .arg(&workflow)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let wf: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(wf["permissions"]["security-events"], "write");
    let steps = wf["jobs"]["audit"]["steps"].as_array().unwrap();
    let audit = steps
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("secrets audit"))
        })
        .expect("a step runs the audit");
    // Findings (exit 1) must not skip the upload, and must still fail the job.
    assert_eq!(audit["continue-on-error"], true);
    let id = audit["id"].as_str().unwrap();
    assert!(steps.iter().any(|s| s["if"]
        .as_str()
        .is_some_and(|c| c.contains(&format!("steps.{id}.outcome == 'failure'")))
        && s["run"] == "exit 1"));
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .expect("a step uploads SARIF");
    let sarif_file = upload["with"]["sarif_file"].as_str().unwrap();

    // The audit step as the runner would run it, in a leaky work tree.
    let work = tempfile::tempdir().unwrap();
    leaky_work_tree(work.path());
    let o = Command::new("bash")
        .current_dir(work.path())
        .args(["-eo", "pipefail", "-c", audit["run"].as_str().unwrap()])
        .env("PATH", path_with_secrets())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let sarif: serde_json::Value =
        serde_json::from_slice(&fs::read(work.path().join(sarif_file)).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let rules: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"SA001") && rules.contains(&"SA004"),
        "{rules:?}"
    );
}

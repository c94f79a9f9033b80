//! `secrets set` and `secrets get`: one value through the secure writer
//! (mode, owner, lock, the kind's rules, dependents recomputed), never from
//! argv; one value out, never into a terminal by accident.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output};

use secrets_tests::{have_program, is_root, mode_of, require, run_piped, secrets, write_env};

fn set(dir: &Path, args: &[&str], value: &[u8]) -> Output {
    let mut c = secrets(dir);
    c.arg("set").args(args);
    run_piped(c, value)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn value_of(dir: &Path, key: &str) -> String {
    let text = fs::read_to_string(dir.join(".env")).unwrap();
    let prefix = format!("{key}=");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("{key} not in {text}"))
        .to_owned()
}

const STRONG: &str = "Qv7-Lm2xZr9TwB4nKp8sYd3hFg6jC1aE";

#[test]
fn set_changes_one_value_and_recomputes_what_is_built_from_it() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    write_env(dir, "postgres");
    let before = fs::read_to_string(dir.join(".env")).unwrap();
    // The server keeps its own copy of this one: the file alone would lock
    // its clients out, so the operator must say the server has it.
    let o = set(
        dir,
        &["POSTGRES_PASSWORD", "--with", "postgres"],
        format!("{STRONG}\n").as_bytes(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--server-changed"), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(dir.join(".env")).unwrap(), before);
    let o = set(
        dir,
        &[
            "POSTGRES_PASSWORD",
            "--with",
            "postgres",
            "--server-changed",
        ],
        format!("{STRONG}\n").as_bytes(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(value_of(dir, "POSTGRES_PASSWORD"), STRONG);
    // The URL holding it is recomputed; nothing else changes.
    assert!(value_of(dir, "DATABASE_URL").contains(&format!(":{STRONG}@")));
    let after = fs::read_to_string(dir.join(".env")).unwrap();
    // Only the value and the URL change, and the stamp above the value
    // (the same text when `write` ran within the same second).
    let changed: Vec<&str> = after
        .lines()
        .filter(|l| !before.lines().any(|b| b == *l) && !l.starts_with("# rotated: "))
        .collect();
    assert_eq!(changed.len(), 2, "{changed:?}");
    assert_eq!(before.lines().count(), after.lines().count());
    let lines: Vec<&str> = after.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("POSTGRES_PASSWORD="))
        .unwrap();
    assert!(lines[at - 1].starts_with("# rotated: "), "{after}");
    assert_eq!(mode_of(&dir.join(".env")), 0o600);
    // The value is on no report line.
    assert!(!stderr(&o).contains(STRONG));
    // The same value again writes nothing.
    let o = set(
        dir,
        &[
            "POSTGRES_PASSWORD",
            "--with",
            "postgres",
            "--server-changed",
        ],
        STRONG.as_bytes(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(dir.join(".env")).unwrap(), after);
}

#[test]
fn a_value_its_kind_refuses_changes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    write_env(dir, "postgres");
    let before = fs::read(dir.join(".env")).unwrap();
    for (value, why) in [
        (&b"short-but-random-Zq81\n"[..], "shorter than"),
        (b"changeme\n", "placeholder"),
        (b"two\nlines\n", "one non-empty line"),
        (b"\n", "one non-empty line"),
        (b"\xff\xfe\n", "UTF-8"),
    ] {
        let o = set(
            dir,
            &[
                "POSTGRES_PASSWORD",
                "--with",
                "postgres",
                "--server-changed",
            ],
            value,
        );
        assert_eq!(o.status.code(), Some(2), "{why}: {}", stderr(&o));
        assert!(stderr(&o).contains(why), "{why}: {}", stderr(&o));
        assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
        assert_eq!(fs::read(dir.join(".env")).unwrap(), before, "{why}");
    }
    // Without a manifest the rules on secret-named values still apply.
    let o = set(dir, &["API_TOKEN"], b"password123\n");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("guessable"), "{}", stderr(&o));
    assert_eq!(fs::read(dir.join(".env")).unwrap(), before);
    // A computed variable names what to set instead.
    let o = set(
        dir,
        &["DATABASE_URL", "--with", "postgres"],
        b"postgresql://x:y@h/d\n",
    );
    assert_eq!(o.status.code(), Some(2));
    let why = stderr(&o);
    assert!(
        why.contains("computed from") && why.contains("POSTGRES_PASSWORD"),
        "{why}"
    );
    // The value never comes from argv: a second word is a usage error.
    let o = set(dir, &["POSTGRES_PASSWORD", STRONG], b"");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(fs::read(dir.join(".env")).unwrap(), before);
}

#[test]
fn set_keeps_the_owner_and_mode_of_an_existing_file_and_creates_new_ones_private() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    // A new file: 0600 under umask 000 too, as every file the writer makes.
    let o = Command::new("sh")
        .current_dir(dir)
        .arg("-c")
        .arg(format!(
            "umask 000; printf '%s\\n' '{STRONG}' | '{}' set API_TOKEN",
            secrets_tests::secrets_bin().display()
        ))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(mode_of(&dir.join(".env")), 0o600);
    assert_eq!(value_of(dir, "API_TOKEN"), STRONG);
    if !is_root() {
        return;
    }
    fs::set_permissions(dir.join(".env"), fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::chown(dir.join(".env"), Some(65534), Some(65534)).unwrap();
    let o = set(dir, &["OTHER_TOKEN"], format!("{STRONG}x\n").as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    let meta = fs::metadata(dir.join(".env")).unwrap();
    assert_eq!(
        (meta.uid(), meta.gid(), meta.mode() & 0o777),
        (65534, 65534, 0o640)
    );
    assert_eq!(value_of(dir, "API_TOKEN"), STRONG);
}

#[test]
fn set_at_a_terminal_reads_without_echo() {
    if !require(
        have_program("script"),
        "script (util-linux)",
        "apt-get install util-linux",
    ) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let typed = "Typed-At-The-Prompt-Zq81xLm2Rw9";
    // `script` gives the command a terminal and types what arrives on its
    // stdin once the prompt is shown; its output is what the screen shows.
    let o = Command::new("sh")
        .current_dir(dir)
        .arg("-c")
        .arg(format!(
            "(sleep 1; printf '%s\\n' '{typed}') | script -qfec '{} set API_TOKEN' /dev/null",
            secrets_tests::secrets_bin().display()
        ))
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{screen}");
    assert!(screen.contains("API_TOKEN: "), "{screen}");
    assert!(!screen.contains(typed), "the value was echoed: {screen}");
    assert_eq!(value_of(dir, "API_TOKEN"), typed);
}

#[test]
fn get_prints_one_value_but_not_to_a_terminal_unless_asked() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    write_env(dir, "postgres");
    let expected = value_of(dir, "POSTGRES_PASSWORD");
    let o = secrets(dir)
        .args(["get", "POSTGRES_PASSWORD"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        format!("{expected}\n")
    );
    let o = secrets(dir).args(["get", "NO_SUCH_KEY"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no variable NO_SUCH_KEY"),
        "{}",
        stderr(&o)
    );
    if !require(
        have_program("script"),
        "script (util-linux)",
        "apt-get install util-linux",
    ) {
        return;
    }
    let on_terminal = |extra: &str| {
        Command::new("script")
            .current_dir(dir)
            .args(["-qec"])
            .arg(format!(
                "{} get POSTGRES_PASSWORD {extra}",
                secrets_tests::secrets_bin().display()
            ))
            .arg("/dev/null")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let o = on_terminal("");
    let screen = String::from_utf8_lossy(&o.stdout);
    assert!(!screen.contains(&expected), "{screen}");
    assert!(screen.contains("--to-terminal"), "{screen}");
    let o = on_terminal("--to-terminal");
    assert!(String::from_utf8_lossy(&o.stdout).contains(&expected));
}

//! Directory creation raced with `renameat2(RENAME_EXCHANGE)` (issue 25,
//! rows 3 and 5). Root creates `BASE/app` in a directory `BASE` that the
//! attacker owns; the attacker exchanges the new directory with a 0700
//! directory of root's that sits in `BASE` (`decoy`), hoping root then
//! chowns, chmods or writes into root's directory. Each test repeats the
//! command at least 200 times against a racer spinning on the exchange and
//! counts the attempts in which root's directory changed: none may.
//!
//! `SECRETS_BIN=/path/to/secrets` runs these against another build.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use secrets_tests::attacker::{
    self, code, mkdir, public_tempdir, python, require_attacker, secrets, secrets_bin, stderr,
    Decoy, Running, EXCHANGE_RACER, NAME,
};
use secrets_tests::dir_entries;

/// How many times each race repeats the command.
const ATTEMPTS: usize = 200;

/// What the attempts came to.
#[derive(Debug, Default)]
struct Race {
    wins: usize,
    exchanges: usize,
    ok: usize,
    refused: usize,
    other: Vec<String>,
}

/// Runs `args` (cwd `top`) `ATTEMPTS` times against the racer in `base`
/// (the attacker's), counting the attempts that changed root's directory.
fn race(top: &Path, base: &Path, args: &[&str]) -> Race {
    let mut decoy = Decoy::make(base);
    let mut racer = Running::spawn(python(EXCHANGE_RACER, &[base]));
    racer.expect("ready");
    let mut r = Race::default();
    let start = Instant::now();
    for _ in 0..ATTEMPTS {
        racer.say("go");
        racer.expect("going");
        let o = niced(top, args).output().unwrap();
        racer.say("sync");
        let reply = racer.line();
        let swaps = reply
            .strip_prefix("ok ")
            .and_then(|n| n.parse::<usize>().ok());
        r.exchanges += swaps.expect("the racer answers `ok N`");
        tally(&mut r, &o);
        if decoy.untouched() {
            decoy.reset();
        } else {
            r.wins += 1;
            fs::remove_dir_all(decoy.find()).unwrap();
            for name in ["app", "decoy"] {
                let _ = fs::remove_dir_all(base.join(name));
            }
            decoy = Decoy::make(base);
        }
    }
    racer.say("stop");
    racer.finish();
    eprintln!(
        "{args:?}: {} attempts in {:.1?}: {r:?}",
        ATTEMPTS,
        start.elapsed()
    );
    r
}

/// `secrets ARGS` (cwd `top`) at the lowest priority, nice 19: woken by the
/// inotify event of root's mkdirat, the racer then preempts root before its
/// next system call far more often, as a busy machine would let it.
fn niced(top: &Path, args: &[&str]) -> Command {
    let mut c = Command::new("nice");
    c.args(["-n", "19"])
        .arg(secrets_bin())
        .args(args)
        .current_dir(top)
        .env_remove("RUST_BACKTRACE")
        .env("NO_COLOR", "1");
    c
}

fn tally(r: &mut Race, o: &Output) {
    match code(o) {
        Ok(0) => r.ok += 1,
        Ok(2) if stderr(o).lines().any(|l| l.starts_with("secrets: error: ")) => r.refused += 1,
        c => r.other.push(format!("{c:?}: {}", stderr(o))),
    }
}

/// `BASE`, the attacker's 0755 directory, in root's traversable temporary
/// directory.
fn attackers_base(top: &Path) -> PathBuf {
    let base = top.join("srv");
    mkdir(&base, 0o755, true);
    base
}

// Row 3: `write --out BASE/app/.env --owner svc --mkdir`, BASE svc's. The
// old code reopened the name after its mkdirat, accepted the root-owned
// directory it found and fchowned it (and wrote `.env` into it).
#[test]
fn write_mkdir_in_the_owners_directory_never_hands_over_a_swapped_in_directory() {
    if !require_attacker() {
        return;
    }
    let top = public_tempdir();
    let base = attackers_base(top.path());
    let r = race(
        top.path(),
        &base,
        &[
            "write",
            "--out",
            "srv/app/.env",
            "--mkdir",
            "--owner",
            NAME,
            "--with",
            "redis",
        ],
    );
    assert!(
        r.wins == 0 && r.other.is_empty(),
        "root's directory was changed in {} of {ATTEMPTS} attempts: {r:?}",
        r.wins
    );
    assert_eq!(r.ok + r.refused, ATTEMPTS, "{r:?}");
    // The race was run: the racer got its exchange in, and some writes
    // still went through.
    assert!(r.exchanges > 0 && r.ok > 0, "{r:?}");
}

// Row 5: `man --dir BASE/app` with the same exchange. The old code
// fchmodded the directory it reopened to 0755 and wrote the pages into it.
#[test]
fn man_dir_in_another_users_directory_never_changes_a_swapped_in_directory() {
    if !require_attacker() {
        return;
    }
    let top = public_tempdir();
    let base = attackers_base(top.path());
    let r = race(top.path(), &base, &["man", "--dir", "srv/app"]);
    assert!(
        r.wins == 0 && r.other.is_empty(),
        "root's directory was changed in {} of {ATTEMPTS} attempts: {r:?}",
        r.wins
    );
    assert_eq!(r.ok + r.refused, ATTEMPTS, "{r:?}");
    assert!(r.exchanges > 0 && r.ok > 0, "{r:?}");
}

// Without a race: what root makes in the attacker's directory is the
// attacker's (the old code made it root's, then chowned or chmodded it).
#[test]
fn directories_made_in_the_attackers_directory_are_the_attackers() {
    if !require_attacker() {
        return;
    }
    let top = public_tempdir();
    let base = attackers_base(top.path());
    let (uid, gid) = attacker::ids();
    let o = secrets(top.path())
        .args(["man", "--dir", "srv/pages"])
        .output()
        .unwrap();
    assert_eq!(code(&o), Ok(0), "{}", stderr(&o));
    let m = fs::metadata(base.join("pages")).unwrap();
    assert_eq!((m.uid(), m.gid(), m.mode() & 0o7777), (uid, gid, 0o755));
    let o = secrets(top.path())
        .args([
            "write",
            "--out",
            "srv/app/.env",
            "--mkdir",
            "--owner",
            NAME,
            "--with",
            "redis",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&o), Ok(0), "{}", stderr(&o));
    let m = fs::metadata(base.join("app")).unwrap();
    assert_eq!((m.uid(), m.gid(), m.mode() & 0o7777), (uid, gid, 0o700));
    let env = fs::metadata(base.join("app/.env")).unwrap();
    assert_eq!((env.uid(), env.mode() & 0o7777), (uid, 0o600));
}

// A parent a group of other users (or everyone) can write: they could swap
// the new directory, so nothing is made and the message says what to do.
#[test]
fn no_directory_is_made_where_a_group_of_other_users_could_swap_it() {
    if !require_attacker() {
        return;
    }
    let top = public_tempdir();
    let (_, gid) = attacker::ids();
    let shared = top.path().join("shared");
    mkdir(&shared, 0o775, false);
    std::os::unix::fs::chown(&shared, None, Some(gid)).unwrap();
    let open = top.path().join("open");
    mkdir(&open, 0o777, false);
    for (args, parent, who) in [
        (
            ["man", "--dir", "shared/pages"],
            &shared,
            format!("group {gid}"),
        ),
        (["man", "--dir", "open/pages"], &open, "others".to_owned()),
    ] {
        let o = secrets(top.path()).args(args).output().unwrap();
        assert_eq!(code(&o), Ok(2), "{}", stderr(&o));
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!("writable by {who}")) && err.contains("create it yourself"),
            "{err}"
        );
        assert!(dir_entries(parent).is_empty(), "{:?}", dir_entries(parent));
    }
}

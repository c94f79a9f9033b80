//! The fourth attack round (a review of the third round's fixes): attacks
//! that still won against them. Every test here failed on the code it was
//! written against and passes on the fix; each says what the attacker does,
//! what root runs, and what must not happen. (Another user holding the
//! directory's lock still delays writers: SECURITY.md says so.) The attacker is `secrets-attacker`, played with
//! setpriv (tests/support/attacker.rs).
//!
//! Run: `cargo test -p secrets-tests --test hostile_round4`.
//! `SECRETS_BIN=/path/to/secrets` runs these against another build.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use secrets_tests::attacker::{
    self, code, file, mkdir, public_tempdir, python, require_attacker, run_watched, secrets,
    secrets_bin, stderr, Decoy, Running, EXCHANGE_RACER,
};

/// A bound on a hang, not a speed target.
const WATCHDOG: Duration = Duration::from_secs(60);

/// `sh -c 'secrets ARGS > .env'` run by root in `dir`: the shell opens (and
/// follows) `.env` before `secrets` runs.
fn to_dot_env(dir: &Path, args: &[&str]) -> Output {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg("exec \"$0\" \"$@\" > .env")
        .arg(secrets_bin())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1");
    let run = run_watched(c, WATCHDOG);
    assert!(run.finished, "root's command hung: {}", stderr(&run.output));
    run.output
}

/// A project directory of root's that the attacker's group may write to
/// (0775 root:secrets-attacker), as in hostile_stdout.rs.
fn shared_project(base: &Path) -> PathBuf {
    let dir = base.join("app");
    mkdir(&dir, 0o775, false);
    std::os::unix::fs::chown(&dir, None, Some(attacker::ids().1)).unwrap();
    dir
}

// ---------------------------------------------------------------------------
// R4-1 (high): a pipe MADE BY ROOT whose read end the attacker holds.
//
// secret_stdout trusts any anonymous pipe whose inode belongs to root, the
// caller or the login user. But who made a pipe says nothing about who reads
// it: every process root starts for another user with a pipe on its stdin
// holds the read end of a root-made pipe (cron makes the stdin and stdout
// pipes of each user's job as root before it drops to the user; so do
// `cmd | runuser -u svc -- consumer`, `sudo -u svc`, supervisors, ...). The
// attacker plants `.env -> /proc/<its pid>/fd/0`; root's shell opens that
// link for writing (root may), which is a new write end of the SAME pipe:
// `fstat` says pipefs, uid 0 -> trusted, and the attacker reads every value
// from its stdin. (The attacker cannot reopen the pipe itself: it is root's
// 0600 inode; it does not need to, it already holds a read end.)
//
// Played here exactly so: the test (root) spawns the attacker with a pipe of
// its own making on the attacker's stdin, as cron would.
// ---------------------------------------------------------------------------

/// Plants `argv[1] -> /proc/self/fd/0` (its stdin: a pipe root made), then
/// reads its stdin until the line `stop`, and prints how many bytes came in
/// other than that line.
const STDIN_PIPE_READER: &str = r#"
import os, signal, sys
signal.alarm(120)
os.symlink("/proc/%d/fd/0" % os.getpid(), sys.argv[1])
print("planted", flush=True)
data = b""
while not data.endswith(b"stop\n"):
    b = os.read(0, 65536)
    if not b:
        break
    data += b
stolen = data[: -len(b"stop\n")] if data.endswith(b"stop\n") else data
sys.stderr.write("stolen: %r\n" % stolen[:200])
print(len(stolen), flush=True)
"#;

#[test]
fn r4_1_a_root_made_pipe_whose_reader_is_the_attacker_gets_nothing() {
    if !require_attacker() {
        return;
    }
    let base = public_tempdir();
    let dir = shared_project(base.path());
    // Running::spawn gives the attacker a pipe made by this (root) process
    // on its stdin: the cron case.
    let mut attack = Running::spawn(python(STDIN_PIPE_READER, &[&dir.join(".env")]));
    attack.expect("planted");
    let o = to_dot_env(&dir, &["generate", "--with", "postgres"]);
    attack.say("stop");
    let read = attack.finish();
    assert_eq!(
        read,
        "0",
        "the attacker read {read} bytes of root's `secrets generate > .env` from its own stdin (exit {:?}, stderr {})",
        code(&o),
        stderr(&o)
    );
    assert_eq!(code(&o), Ok(2), "{}", stderr(&o));
}

// ---------------------------------------------------------------------------
// R4-2 (medium): the creation rule ignores POSIX ACLs.
//
// `creator_in` lets root create (as root) in a parent that is group-writable
// when the group is root's (mode 0775, group 0). With an ACL entry
// `user:secrets-attacker:rwx` on a root:root directory, `ls` shows exactly
// that (drwxrwxr-x+ root root: the group bits are the ACL mask), yet the
// attacker may rename entries in it. So the RENAME_EXCHANGE of issue 25 row 5
// works again: root's `man --dir BASE/app` mkdirs `app` as root, the attacker
// swaps in root's 0700 `decoy`, root's fstat sees a directory of root's (the
// creator) and fchmods it to 0755 and writes the pages into it. Shared
// directories with an ACL for a deploy user are common (`setfacl -m
// u:deploy:rwx /srv/site`).
// ---------------------------------------------------------------------------

/// How many times the race repeats the command.
const ATTEMPTS: usize = 200;

/// Sets the access ACL of `path` to `user::rwx user:UID:rwx group::r-x
/// mask::rwx other::r-x` (what `setfacl -m u:UID:rwx` makes of a 0755
/// directory), written as the raw `system.posix_acl_access` xattr so that
/// no `acl` package is needed.
fn grant_acl_write(path: &Path, uid: u32) {
    const SET_ACL: &str = r#"
import os, struct, sys
uid = int(sys.argv[2])
U = 0xFFFFFFFF
entries = [(0x01, 7, U), (0x02, 7, uid), (0x04, 5, U), (0x10, 7, U), (0x20, 5, U)]
blob = struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *e) for e in entries)
os.setxattr(sys.argv[1], "system.posix_acl_access", blob)
"#;
    let o = Command::new(attacker::PYTHON)
        .arg("-c")
        .arg(SET_ACL)
        .arg(path)
        .arg(uid.to_string())
        .output()
        .unwrap();
    assert!(o.status.success(), "set the ACL: {}", stderr(&o));
}

#[test]
fn r4_2_man_dir_in_a_root_directory_the_attacker_may_write_through_an_acl() {
    if !require_attacker() {
        return;
    }
    let top = public_tempdir();
    let base = top.path().join("site");
    mkdir(&base, 0o755, false);
    grant_acl_write(&base, attacker::uid());
    // The ACL is real: the attacker can create and rename in BASE.
    let probe = attacker::command("touch")
        .arg(base.join("probe"))
        .output()
        .unwrap();
    assert!(probe.status.success(), "{}", stderr(&probe));
    fs::remove_file(base.join("probe")).unwrap();

    let mut decoy = Decoy::make(&base);
    let mut racer = Running::spawn(python(EXCHANGE_RACER, &[&base]));
    racer.expect("ready");
    let (mut wins, mut exchanges, mut ok) = (0, 0, 0);
    for _ in 0..ATTEMPTS {
        racer.say("go");
        racer.expect("going");
        let o = Command::new("nice")
            .args(["-n", "19"])
            .arg(secrets_bin())
            .args(["man", "--dir", "site/app"])
            .current_dir(top.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        if code(&o) == Ok(0) {
            ok += 1;
        }
        racer.say("sync");
        let reply = racer.line();
        exchanges += reply
            .strip_prefix("ok ")
            .and_then(|n| n.parse::<usize>().ok())
            .expect("the racer answers `ok N`");
        if !decoy.untouched() {
            wins += 1;
        }
        decoy.clear();
        decoy = Decoy::make(&base);
    }
    racer.say("stop");
    racer.finish();
    eprintln!("man --dir through an ACL: {ATTEMPTS} attempts, {exchanges} exchanges, {ok} exit 0, {wins} wins");
    assert_eq!(
        wins, 0,
        "root's 0700 directory was chmodded and filled with pages in {wins} of {ATTEMPTS} attempts ({exchanges} exchanges, {ok} exit 0)"
    );
}

// Without any race: root creates a directory, as root, in a directory the
// attacker can write through an ACL; the rule says it must refuse (a group
// or others "could swap the new directory"), as it does for mode 0775 with
// the attacker's group.
#[test]
fn r4_2b_no_directory_is_made_as_root_where_an_acl_lets_another_user_rename_it() {
    if !require_attacker() {
        return;
    }
    let top = public_tempdir();
    let base = top.path().join("site");
    mkdir(&base, 0o755, false);
    grant_acl_write(&base, attacker::uid());
    let o = secrets(top.path())
        .args(["man", "--dir", "site/pages"])
        .output()
        .unwrap();
    let made = base.join("pages");
    let owner = fs::metadata(&made).ok().map(|m| m.uid());
    assert!(
        code(&o) == Ok(2) && owner.is_none(),
        "root made {} (owner {owner:?}) in a directory the attacker may rename entries of (exit {:?}: {})",
        made.display(),
        code(&o),
        stderr(&o)
    );
}

// ---------------------------------------------------------------------------
// R4-3 (medium): `git log` output is kept whole, without any cap.
//
// The history rule reads all of `git log --all --name-only` into memory
// (child::run_until_idle collects stdout in a Vec) before filtering it. A
// repository's history costs its author almost nothing to make huge in that
// output: one tree of 2,000 empty files under 16 nested directories with
// 254-character names (every path ~4 KiB), and 40 commits that alternately
// add it and remove it. The repository is 42 KB (loose objects); its
// `git log --name-only` is 330 MB, all kept by root's audit (peak RSS
// 336,760 KiB measured) (N commits more
// cost nothing and add 8 MB each: 200 pairs are 1.6 GB). Any repository root
// audits counts: one it cloned from a stranger, or the group-writable one of
// issue 25 row 1. The promise is bounded memory (the 64 MiB kept-bytes cap of
// the walk does not cover git's output).
// ---------------------------------------------------------------------------

/// Builds the history above in the repository at `$1` (git plumbing only).
const BIG_HISTORY: &str = r#"
set -e
cd "$1"
git init -q .
K=2000; D=16; N=40
blob=$(git hash-object -w --stdin </dev/null)
leaf=$(/usr/bin/python3 -c "
import sys
for i in range(int(sys.argv[1])): print('100644 blob %s\tf%06d' % (sys.argv[2], i))
" $K $blob | git mktree)
t=$leaf
for i in $(seq 1 $D); do
  name=$(printf 'd%03d' $i; head -c 250 /dev/zero | tr '\0' x)
  t=$(printf '040000 tree %s\t%s\n' $t $name | git mktree)
done
empty=$(git mktree </dev/null)
p=""
for i in $(seq 1 $N); do
  c=$(git commit-tree $t $p -m add); p="-p $c"
  c=$(git commit-tree $empty $p -m remove); p="-p $c"
done
git update-ref refs/heads/main $c
git symbolic-ref HEAD refs/heads/main
"#;

#[test]
fn r4_3_a_small_repository_with_a_huge_name_log_keeps_audit_bounded() {
    if !secrets_tests::require(
        Path::new(attacker::GNU_TIME).exists() && secrets_tests::have_program("git"),
        "GNU time and git",
        "apt-get install time git",
    ) {
        return;
    }
    let base = tempfile::tempdir().unwrap();
    let repo = base.path().join("stack");
    fs::create_dir(&repo).unwrap();
    let o = Command::new("bash")
        .arg("-c")
        .arg(BIG_HISTORY)
        .arg("bash")
        .arg(&repo)
        .env("GIT_AUTHOR_NAME", "a")
        .env("GIT_AUTHOR_EMAIL", "a@example.org")
        .env("GIT_COMMITTER_NAME", "a")
        .env("GIT_COMMITTER_EMAIL", "a@example.org")
        .env("GIT_AUTHOR_DATE", "@1 +0000")
        .env("GIT_COMMITTER_DATE", "@1 +0000")
        .output()
        .unwrap();
    assert!(o.status.success(), "build the history: {}", stderr(&o));
    let size: u64 = walk_size(&repo.join(".git"));
    let rss = base.path().join("rss");
    let w = run_watched(
        attacker::measured(base.path(), &rss, "true", &["audit", "stack"]),
        Duration::from_secs(600),
    );
    assert!(w.finished, "audit did not end in 600 s");
    let peak = attacker::peak_kib(&rss).expect("GNU time wrote the peak RSS");
    eprintln!(
        "audit of a {size}-byte repository: peak RSS {peak} KiB, exit {:?}",
        code(&w.output)
    );
    assert!(
        peak < 128 * 1024,
        "audit of a {} KiB repository peaked at {peak} KiB (limit 128 MiB): git's output is kept whole",
        size / 1024
    );
}

/// A tree bomb in the repository at `$1`: 24 levels of trees naming the
/// level below twice, one `.env` at the bottom (16 million paths, 360 KB).
const TREE_BOMB: &str = r#"
set -e
cd "$1"
git init -q .
blob=$(git hash-object -w --stdin </dev/null)
t=$(printf '100644 blob %s\t.env\n' $blob | git mktree)
a=$(head -c 52 /dev/zero | tr '\0' a); b=$(head -c 52 /dev/zero | tr '\0' b)
for i in $(seq 1 24); do
  t=$(printf '040000 tree %s\t%s\n040000 tree %s\t%s\n' $t $a $t $b | git mktree)
done
c=$(git commit-tree $t -m bomb)
git update-ref refs/heads/main $c
git symbolic-ref HEAD refs/heads/main
"#;

// R4-3, second half: git itself diffs the whole tree of a commit before it
// writes a name, so a tree bomb made git grow to 3.4 GB before the idle timer
// stopped it. Git runs with a bounded address space (1 GiB): it fails, and
// the history is reported incomplete (SA014), never passed.
#[test]
fn r4_3_a_tree_bomb_keeps_git_bounded_and_is_reported_incomplete() {
    if !secrets_tests::require(
        Path::new(attacker::GNU_TIME).exists() && secrets_tests::have_program("git"),
        "GNU time and git",
        "apt-get install time git",
    ) {
        return;
    }
    let base = tempfile::tempdir().unwrap();
    let repo = base.path().join("stack");
    fs::create_dir(&repo).unwrap();
    let o = Command::new("bash")
        .arg("-c")
        .arg(TREE_BOMB)
        .arg("bash")
        .arg(&repo)
        .env("GIT_AUTHOR_NAME", "a")
        .env("GIT_AUTHOR_EMAIL", "a@example.org")
        .env("GIT_COMMITTER_NAME", "a")
        .env("GIT_COMMITTER_EMAIL", "a@example.org")
        .output()
        .unwrap();
    assert!(o.status.success(), "build the tree bomb: {}", stderr(&o));
    let rss = base.path().join("rss");
    let w = run_watched(
        attacker::measured(base.path(), &rss, "true", &["audit", "stack"]),
        Duration::from_secs(600),
    );
    assert!(w.finished, "audit did not end in 600 s");
    // GNU time reports the largest of the audit and the git it waited for.
    let peak = attacker::peak_kib(&rss).expect("GNU time wrote the peak RSS");
    let out = String::from_utf8_lossy(&w.output.stdout).into_owned();
    eprintln!(
        "audit of a tree bomb: peak RSS {peak} KiB, exit {:?}",
        code(&w.output)
    );
    assert!(
        peak < 1200 * 1024,
        "git or the audit of a tree bomb peaked at {peak} KiB (limit 1,200 MiB)"
    );
    assert!(
        code(&w.output) == Ok(1) && out.contains("SA014") && out.contains("history incomplete"),
        "a history git could not list is reported incomplete (exit {:?}): {out}{}",
        code(&w.output),
        stderr(&w.output)
    );
}

/// The bytes of the files under `dir`.
fn walk_size(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            if m.is_dir() {
                walk_size(&e.path())
            } else {
                m.len()
            }
        })
        .sum()
}

// ---------------------------------------------------------------------------
// R4-4 (low; issue 25 row 10 again, through `audit --fix --owner`).
//
// Row 10 was fixed for `write --owner`: an existing target of root's in the
// owner's directory is refused. `audit DIR --owner svc --fix` still hands
// such a file over: the attacker (svc), a member of a group-writable project
// directory of root's, renames root's 0600 `.env` (which it cannot read)
// into its own project directory; root's `audit /srv --owner svc --fix`
// finds a `.env` in svc's directory owned by root and chowns it to svc, root's
// values included. The fix must refuse a file that is not already the
// owner's (or at least never chown a file of root's to another user), as
// `write --owner` does.
// ---------------------------------------------------------------------------

#[test]
fn r4_4_audit_fix_owner_never_hands_roots_renamed_file_to_the_owner() {
    if !require_attacker() {
        return;
    }
    let (uid, gid) = attacker::ids();
    let srv = public_tempdir();
    // Root's shared project (group-writable by the attacker's group) with
    // root's private .env.
    let shared = srv.path().join("shared");
    mkdir(&shared, 0o770, false);
    std::os::unix::fs::chown(&shared, None, Some(gid)).unwrap();
    file(
        &shared.join(".env"),
        b"DB_PASSWORD=roots-own-value-8f3a9c\n",
        0o600,
        false,
    );
    // The attacker's own project directory.
    let mine = srv.path().join("mine");
    mkdir(&mine, 0o700, true);
    // The attacker cannot read root's file, but may move it.
    let read = attacker::command("cat")
        .arg(shared.join(".env"))
        .output()
        .unwrap();
    assert!(
        !read.status.success(),
        "the attacker can read root's file already"
    );
    let mv = attacker::command("mv")
        .arg(shared.join(".env"))
        .arg(mine.join(".env"))
        .output()
        .unwrap();
    assert!(mv.status.success(), "mv: {}", stderr(&mv));
    let o = secrets(srv.path())
        .args(["audit", ".", "--owner", attacker::NAME, "--fix"])
        .output()
        .unwrap();
    let m = fs::metadata(mine.join(".env")).unwrap();
    let stolen = attacker::command("cat")
        .arg(mine.join(".env"))
        .output()
        .unwrap();
    assert!(
        m.uid() == 0 && !stolen.status.success(),
        "root's .env (renamed into the attacker's directory) now belongs to uid {} (attacker: {uid}); the attacker reads {:?} (audit exit {:?}: {})",
        m.uid(),
        String::from_utf8_lossy(&stolen.stdout),
        code(&o),
        stderr(&o)
    );
}

// ---------------------------------------------------------------------------
// R4-5 (medium; issue 25 row 6 again, one level up): a `secrets/` DIRECTORY
// that is a symlink.
//
// Everything under a `secrets/` directory is secret-bearing: a real
// `app/secrets/db_password` of mode 0644 is SA001 high. Make `app/secrets` a
// symlink to a directory holding the same world-readable file, bind-mounted
// by compose (`./secrets:/run/secrets:ro`): the audit says 0 findings and
// exits 0. SA019 covers a secret-named FILE that is a link, not the
// directory name that makes its contents secret. The gate must fail closed
// on it as on a `.env` link.
// ---------------------------------------------------------------------------

#[test]
fn r4_5_a_symlinked_secrets_directory_is_a_finding_not_a_pass() {
    let base = tempfile::tempdir().unwrap();
    let app = base.path().join("app");
    let store = base.path().join("store");
    fs::create_dir(&app).unwrap();
    fs::create_dir(&store).unwrap();
    attacker::chmod(&store, 0o755);
    file(
        &store.join("db_password"),
        b"supersecretpassword-0123456789\n",
        0o644,
        false,
    );
    fs::write(
        app.join("docker-compose.yml"),
        "services:\n  app:\n    image: nginx\n    volumes:\n      - ./secrets:/run/secrets:ro\n",
    )
    .unwrap();
    // The control: a real directory is audited (SA001 high, exit 1).
    let real = app.join("secrets");
    fs::create_dir(&real).unwrap();
    fs::copy(store.join("db_password"), real.join("db_password")).unwrap();
    attacker::chmod(&real.join("db_password"), 0o644);
    let o = secrets(base.path())
        .args(["audit", "app"])
        .output()
        .unwrap();
    assert_eq!(
        code(&o),
        Ok(1),
        "control: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    fs::remove_dir_all(&real).unwrap();
    // The attack: the same file through a symlinked `secrets/`.
    std::os::unix::fs::symlink("../store", &real).unwrap();
    let o = secrets(base.path())
        .args(["audit", "app"])
        .output()
        .unwrap();
    assert_eq!(
        code(&o),
        Ok(1),
        "a world-readable secret behind a symlinked secrets/ directory passes the gate: {}",
        String::from_utf8_lossy(&o.stdout)
    );
}

// ---------------------------------------------------------------------------
// R4-6 (low/medium, integrity): `get` and `export k8s` take their values
// from a `.env` another user planted.
//
// `run --env .env` refuses a `.env` in a directory others can write ("another
// user could replace what it holds"). `get` (new) and `export k8s` read the
// same file without that rule: a member of a group-writable project
// directory replaces `.env` with one of its own, and root's
// `secrets get DATABASE_URL | ...` or `secrets export k8s ... | kubectl
// apply -f -` uses the attacker's values (a database URL of its server, a
// password it knows) with no warning. They must refuse as `run` does.
// ---------------------------------------------------------------------------

#[test]
fn r4_6_get_and_export_refuse_a_dot_env_others_could_have_replaced() {
    if !require_attacker() {
        return;
    }
    let base = public_tempdir();
    let dir = shared_project(base.path());
    let plant = attacker::command("sh")
        .arg("-c")
        .arg("umask 077; printf 'DATABASE_URL=postgres://u:known@attacker.example/db\\n' > \"$0\"")
        .arg(dir.join(".env"))
        .output()
        .unwrap();
    assert!(plant.status.success(), "{}", stderr(&plant));
    // The rule exists: `run` refuses this file.
    let run = secrets(&dir)
        .args(["run", "--env", ".env", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(code(&run), Ok(2), "run: {}", stderr(&run));
    let mut used = Vec::new();
    for args in [
        vec!["get", "DATABASE_URL"],
        vec!["export", "k8s", "--name", "app", "--env", ".env"],
    ] {
        let o = secrets(&dir).args(&args).output().unwrap();
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        if code(&o) == Ok(0) {
            used.push(format!("{}: {}", args.join(" "), out.trim()));
        }
    }
    assert!(
        used.is_empty(),
        "root used the attacker's .env from a group-writable directory: {used:#?}"
    );
}

// ---------------------------------------------------------------------------
// R4-7 (low): SA019 judges a link's target more leniently than SA001 judges
// the same file.
//
// A `.env` of mode 0640 is SA001 high ("its group can access it"). A `.env`
// that is a symlink to that same 0640 file is SA019 medium ("not readable by
// others"): the group (here the attacker's) reads every value, and
// `audit --fail-on high` (the README's SARIF example) passes the link while
// it fails the file. The target must be judged as the file would be.
// ---------------------------------------------------------------------------

#[test]
fn r4_7_a_link_to_a_group_readable_secret_is_as_high_as_the_file() {
    if !require_attacker() {
        return;
    }
    let base = tempfile::tempdir().unwrap();
    let store = base.path().join("store");
    fs::create_dir(&store).unwrap();
    let target = store.join("prod.env");
    file(&target, b"DB_PASSWORD=0123456789abcdefXYZ\n", 0o640, false);
    std::os::unix::fs::chown(&target, None, Some(attacker::ids().1)).unwrap();
    let gate = |dir: &str| {
        secrets(base.path())
            .args(["audit", "--fail-on", "high", dir])
            .output()
            .unwrap()
    };
    // The file itself fails the gate.
    let real = base.path().join("real");
    fs::create_dir(&real).unwrap();
    fs::copy(&target, real.join(".env")).unwrap();
    attacker::chmod(&real.join(".env"), 0o640);
    let o = gate("real");
    assert_eq!(
        code(&o),
        Ok(1),
        "control: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    // A link to it must fail it too.
    let linked = base.path().join("linked");
    fs::create_dir(&linked).unwrap();
    std::os::unix::fs::symlink("../store/prod.env", linked.join(".env")).unwrap();
    let o = gate("linked");
    assert_eq!(
        code(&o),
        Ok(1),
        "a .env linked to a group-readable file passes `--fail-on high`: {}",
        String::from_utf8_lossy(&o.stdout)
    );
}

// ---------------------------------------------------------------------------
// R4-8 (low/medium, availability): any user who can read a directory can
// hold the writers' lock on it.
//
// Writers `flock` the directory handle. Opening a directory for reading
// needs only r-x, so the attacker opens root's 0755 project directory and
// holds `LOCK_EX` for as long as it likes: root's `set`, `write` and
// `rotate` there give up after their wait ("another process holds the lock
// on this directory") and no secret can be set or rotated, during an
// incident too. The lock must be one only the writers can take (a handle
// others cannot open), or another user's lock must not stop root.
// ---------------------------------------------------------------------------

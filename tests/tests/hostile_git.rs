//! Git never runs what a repository configures, and history means every
//! commit. Root runs `secrets audit` over repositories whose configuration,
//! attributes, hooks or objects someone else chose: one repository per
//! vector, each planting a command that writes a marker file. The marker
//! must never appear, and what git could not read is reported (SA014,
//! "history incomplete"), never passed. The issue's own case is played by
//! the unprivileged attacker account (`secrets-attacker`) as a member of
//! the group of a root-owned `git init --shared=group` checkout; the
//! others are planted by the test, as any writer of `.git/config` could.
//! `SECRETS_BIN=/path/to/secrets` runs the suite against another build.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use secrets_tests::attacker::{
    self, code, python, require_attacker, run_watched, snapshot, stderr, stdout, Running,
};
use secrets_tests::{have_program, require};

/// A value no rule complains about.
const TOKEN: &[u8] = b"API_TOKEN=Zq8xT2mV9pL4rB7nK1wY6sD3fH0jG5cA\n";

/// A commit that no repository here holds: a ref to it makes `git log
/// --all` need an object that is missing, as in a partial clone.
const MISSING: &str = "1234567890abcdef1234567890abcdef12345678";

/// How long one audit may take (a prompt or a network wait would hang).
const LIMIT: Duration = Duration::from_secs(60);

fn require_git() -> bool {
    require(have_program("git"), "git", "apt-get install git")
}

/// `git ARGS` in `dir` as root (building the repository, never auditing
/// it), which must succeed; returns its stdout, trimmed.
fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "protocol.file.allow=always",
            "-c",
            "commit.gpgSign=false",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
    stdout(&o).trim().to_owned()
}

/// Sets `key` to `value` in the repository's own config file (`git config
/// --file` reads and writes that file only: nothing planted runs).
fn config(repo: &Path, key: &str, value: &str) {
    let file = repo.join(".git/config");
    let o = Command::new("git")
        .args(["config", "--file"])
        .arg(&file)
        .args(["--add", key, value])
        .output()
        .expect("git config runs");
    assert!(o.status.success(), "git config {key}: {}", stderr(&o));
}

/// A repository of root's at `dir/name` with one commit.
fn repo(dir: &Path, name: &str) -> PathBuf {
    let repo = dir.join(name);
    fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q", "."]);
    fs::write(repo.join("README"), b"readme\n").unwrap();
    git(&repo, &["add", "README"]);
    git(&repo, &["commit", "-q", "-m", "readme"]);
    repo
}

/// Commits a `.env` and deletes it in the next commit: the history rule
/// must find it.
fn env_in_history(repo: &Path) {
    fs::write(repo.join(".env"), TOKEN).unwrap();
    git(repo, &["add", "-f", ".env"]);
    git(repo, &["commit", "-q", "-m", "add .env"]);
    git(repo, &["rm", "-q", "--cached", ".env"]);
    fs::remove_file(repo.join(".env")).unwrap();
    git(repo, &["commit", "-q", "-m", "remove .env"]);
}

/// Makes `repo` a partial clone whose promisor remote is `url` and gives
/// it a ref to a missing commit, so that reading the history of every ref
/// would fetch it.
fn promisor(repo: &Path, url: &str) {
    config(repo, "core.repositoryformatversion", "1");
    config(repo, "extensions.partialClone", "p");
    config(repo, "remote.p.url", url);
    config(repo, "remote.p.promisor", "true");
    fs::write(repo.join(".git/refs/heads/ghost"), format!("{MISSING}\n")).unwrap();
}

/// A shell command that writes `marker`.
fn touch(marker: &Path) -> String {
    format!("touch {}", marker.display())
}

/// An executable script at `path` that writes `marker`.
fn script(path: &Path, marker: &Path) {
    fs::write(path, format!("#!/bin/sh\n{}\n", touch(marker))).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// Every hook git knows, each writing `marker`, in `dir`.
fn hooks(dir: &Path, marker: &Path) {
    for hook in [
        "applypatch-msg",
        "pre-applypatch",
        "post-applypatch",
        "pre-commit",
        "pre-merge-commit",
        "prepare-commit-msg",
        "commit-msg",
        "post-commit",
        "pre-rebase",
        "post-checkout",
        "post-merge",
        "pre-push",
        "pre-receive",
        "update",
        "proc-receive",
        "post-receive",
        "post-update",
        "reference-transaction",
        "push-to-checkout",
        "pre-auto-gc",
        "post-rewrite",
        "sendemail-validate",
        "fsmonitor-watchman",
        "post-index-change",
    ] {
        script(&dir.join(hook), marker);
    }
}

/// `secrets audit --format json TARGET` run by root in `dir`, under a
/// watchdog.
fn audit(dir: &Path, target: &Path) -> Output {
    let mut c = attacker::secrets(dir);
    c.args(["audit", "--format", "json"]).arg(target);
    let w = run_watched(c, LIMIT);
    assert!(w.finished, "audit did not finish in {LIMIT:?}");
    w.output
}

/// The messages of the findings of `rule` in a JSON report.
fn messages(o: &Output, rule: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not a JSON report ({e}): {}", stderr(o)));
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| f["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn assert_no_marker(marker: &Path, o: &Output) {
    assert!(
        !marker.exists(),
        "the audit ran the planted command ({} exists)\nstdout: {}\nstderr: {}",
        marker.display(),
        stdout(o),
        stderr(o)
    );
}

/// The audit said the history is incomplete (SA014) and exited 1; the
/// message has git's reason (`why`), not a warning before it.
fn assert_history_incomplete(o: &Output, why: &str) {
    let sa014 = messages(o, "SA014");
    assert!(
        sa014
            .iter()
            .any(|m| m.contains("history incomplete") && m.contains(why)),
        "no SA014 'history incomplete' saying {why:?}: {sa014:?}\n{}",
        stdout(o)
    );
    assert_eq!(code(o), Ok(1), "{}", stderr(o));
}

/// The audit found `.env` in the history (SA006): git answered.
fn assert_env_in_history(o: &Output) {
    let sa006 = messages(o, "SA006");
    assert!(
        sa006.iter().any(|m| m.contains(".env")),
        "no SA006 for .env: {}\n{}",
        stdout(o),
        stderr(o)
    );
}

/// A repository with a `.env` in its history and a `.env` on disk, so that
/// every git command of the audit runs (check-ignore, ls-files, log), and
/// the vector planted by `plant`; the audit must find both `.env`s and
/// run nothing.
fn config_vector(plant: impl FnOnce(&Path, &Path)) {
    if !require_git() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let marker = d.path().join("marker");
    let r = repo(d.path(), "repo");
    env_in_history(&r);
    fs::write(r.join(".env"), TOKEN).unwrap();
    plant(&r, &marker);
    let o = audit(d.path(), &r);
    assert_no_marker(&marker, &o);
    assert_env_in_history(&o);
    assert!(
        !messages(&o, "SA004").is_empty(),
        "git did not answer for the .env on disk: {}",
        stdout(&o)
    );
}

/// A partial clone whose promisor remote is `url` (with `plant` adding
/// to it) and a ref to a missing commit: the audit must fetch nothing,
/// run nothing, and say the history is incomplete.
fn transport_vector(url: &dyn Fn(&Path) -> String, plant: impl FnOnce(&Path, &Path)) {
    if !require_git() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let marker = d.path().join("marker");
    let r = repo(d.path(), "repo");
    promisor(&r, &url(&marker));
    plant(&r, &marker);
    let o = audit(d.path(), &r);
    assert_no_marker(&marker, &o);
    assert_history_incomplete(&o, "fatal: bad object refs/heads/ghost");
}

// The issue's row 1, as the issue played it: a root-owned checkout made
// with `git init --shared=group`; a member of its group turns it into a
// partial clone whose promisor's `uploadpack` is a command of theirs and
// adds a ref to a missing commit. Root's audit must not run the command,
// fetch, or change the config (a lazy fetch writes to it).
#[test]
fn group_member_of_a_shared_repository_gets_no_command_run() {
    if !require_attacker() || !require_git() {
        return;
    }
    let (_, gid) = attacker::ids();
    let d = attacker::public_tempdir();
    let marker = d.path().join("marker");
    let r = d.path().join("repo");
    fs::create_dir(&r).unwrap();
    git(&r, &["init", "-q", "--shared=group", "."]);
    fs::write(r.join("README"), b"readme\n").unwrap();
    git(&r, &["add", "README"]);
    git(&r, &["commit", "-q", "-m", "readme"]);
    let o = Command::new("chgrp")
        .args(["-R", &gid.to_string()])
        .arg(&r)
        .output()
        .unwrap();
    assert!(o.status.success(), "chgrp: {}", stderr(&o));
    let plant = r#"
import sys
repo, marker, missing = sys.argv[1:4]
with open(repo + "/.git/config", "a") as f:
    f.write("[core]\n\trepositoryformatversion = 1\n"
            "[extensions]\n\tpartialClone = evil\n"
            '[remote "evil"]\n\turl = ' + repo + "\n\tpromisor = true\n"
            "\tuploadpack = touch " + marker + "; false\n")
with open(repo + "/.git/refs/heads/ghost", "w") as f:
    f.write(missing + "\n")
"#;
    let o = python(plant, &[&r, &marker, Path::new(MISSING)])
        .output()
        .unwrap();
    assert!(o.status.success(), "the attacker's plant: {}", stderr(&o));
    let before = snapshot(&r.join(".git/config"));
    let o = audit(d.path(), &r);
    assert_no_marker(&marker, &o);
    assert_history_incomplete(&o, "fatal: bad object refs/heads/ghost");
    attacker::assert_unchanged(&r.join(".git/config"), &before, "audit");
}

// The promisor remote is an `ext::` URL (a command), the repository
// allowing that transport.
#[test]
fn ext_transport_of_a_promisor_runs_nothing() {
    transport_vector(&|m| format!("ext::sh -c touch% {}", m.display()), |r, _| {
        config(r, "protocol.ext.allow", "always");
        config(r, "protocol.allow", "always");
    });
}

// The promisor's `uploadpack` is planted through an `include.path` of the
// repository's config, not in it.
#[test]
fn include_path_to_a_promisor_config_runs_nothing() {
    if !require_git() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let marker = d.path().join("marker");
    let r = repo(d.path(), "repo");
    let included = d.path().join("included.conf");
    fs::write(
        &included,
        format!(
            "[core]\n\trepositoryformatversion = 1\n[extensions]\n\tpartialClone = p\n\
             [remote \"p\"]\n\turl = {}\n\tpromisor = true\n\tuploadpack = {}; false\n",
            r.display(),
            touch(&marker)
        ),
    )
    .unwrap();
    config(&r, "include.path", &included.display().to_string());
    fs::write(r.join(".git/refs/heads/ghost"), format!("{MISSING}\n")).unwrap();
    let o = audit(d.path(), &r);
    assert_no_marker(&marker, &o);
    assert_history_incomplete(&o, "fatal: bad object refs/heads/ghost");
}

// ssh transport: `core.sshCommand` is the repository's command.
#[test]
fn core_ssh_command_runs_nothing() {
    transport_vector(&|_| "ssh://example.invalid/repo".into(), |r, m| {
        config(r, "core.sshCommand", &format!("{}; false", touch(m)))
    });
}

// git:// transport: `core.gitProxy` is the repository's command.
#[test]
fn core_git_proxy_runs_nothing() {
    transport_vector(&|_| "git://example.invalid/repo".into(), |r, m| {
        let proxy = r.join(".git/proxy");
        script(&proxy, m);
        config(r, "core.gitProxy", &proxy.display().to_string());
    });
}

/// An HTTP server on 127.0.0.1 that answers every request with 401 (so
/// that git asks for credentials), and its URL; stopped when dropped.
fn unauthorized_server() -> (Running, String) {
    let script = r#"
import http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="x"')
        self.send_header("Content-Length", "0")
        self.end_headers()
    do_POST = do_GET
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_port, flush=True)
s.serve_forever()
"#;
    let mut c = Command::new(attacker::PYTHON);
    c.arg("-c").arg(script);
    let mut server = Running::spawn(c);
    let port = server.line();
    (server, format!("http://127.0.0.1:{port}/repo"))
}

// HTTP transport asking for credentials: `credential.helper` is the
// repository's command.
#[test]
fn credential_helper_runs_nothing() {
    if !Path::new(attacker::PYTHON).exists() {
        return;
    }
    let (_server, url) = unauthorized_server();
    transport_vector(&|_| url.clone(), |r, m| {
        config(r, "credential.helper", &format!("!{}; false", touch(m)))
    });
}

// HTTP transport asking for credentials: `core.askPass` is the
// repository's program.
#[test]
fn core_askpass_runs_nothing() {
    if !Path::new(attacker::PYTHON).exists() {
        return;
    }
    let (_server, url) = unauthorized_server();
    transport_vector(&|_| url.clone(), |r, m| {
        let askpass = r.join(".git/askpass");
        script(&askpass, m);
        config(r, "core.askPass", &askpass.display().to_string());
    });
}

// A real partial clone (`--filter=tree:0` from a `file://` remote that
// allows filters): the trees of older commits are missing and a lazy
// fetch would get them (and run the promisor's hooks, helpers and
// transport). The audit must fetch nothing: the trees are still missing
// after it, and it says the history is incomplete.
#[test]
fn partial_clone_fetches_nothing_and_is_history_incomplete() {
    if !require_git() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let origin = repo(d.path(), "origin");
    env_in_history(&origin);
    git(&origin, &["config", "uploadpack.allowFilter", "true"]);
    git(
        &origin,
        &["config", "uploadpack.allowAnySHA1InWant", "true"],
    );
    let old_tree = git(&origin, &["rev-parse", "HEAD~1^{tree}"]);
    let url = format!("file://{}", origin.display());
    git(d.path(), &["clone", "-q", "--filter=tree:0", &url, "clone"]);
    let clone = d.path().join("clone");
    let missing = |what: &str| {
        !Command::new("git")
            .current_dir(&clone)
            .env("GIT_NO_LAZY_FETCH", "1")
            .args(["cat-file", "-e", what])
            .status()
            .unwrap()
            .success()
    };
    assert!(missing(&old_tree), "the clone already holds the tree");
    let o = audit(d.path(), &clone);
    assert!(missing(&old_tree), "the audit fetched a missing tree");
    assert_history_incomplete(&o, &format!("fatal: unable to read tree ({old_tree})"));
}

// `core.fsmonitor` is a command (`ls-files` reads the index through it).
#[test]
fn core_fsmonitor_runs_nothing() {
    config_vector(|r, m| config(r, "core.fsmonitor", &format!("{}; echo", touch(m))));
}

// `core.hooksPath` names a directory of hooks, and `.git/hooks` holds
// every hook too.
#[test]
fn hooks_run_nothing() {
    config_vector(|r, m| {
        let dir = r.join(".git/planted-hooks");
        fs::create_dir(&dir).unwrap();
        hooks(&dir, m);
        hooks(&r.join(".git/hooks"), m);
        config(r, "core.hooksPath", &dir.display().to_string());
    });
}

// `core.pager` and `pager.<command>` are commands.
#[test]
fn pager_runs_nothing() {
    config_vector(|r, m| {
        let pager = format!("{}; cat", touch(m));
        config(r, "core.pager", &pager);
        for command in ["log", "ls-files", "check-ignore", "rev-parse"] {
            config(r, &format!("pager.{command}"), &pager);
        }
    });
}

// `diff.external` and a diff driver's `command` chosen by `.gitattributes`.
#[test]
fn external_diff_runs_nothing() {
    config_vector(|r, m| {
        let diff = r.join(".git/diff");
        script(&diff, m);
        config(r, "diff.external", &diff.display().to_string());
        config(r, "diff.planted.command", &diff.display().to_string());
        fs::write(r.join(".gitattributes"), b"* diff=planted\n").unwrap();
        fs::write(r.join(".git/info/attributes"), b"* diff=planted\n").unwrap();
    });
}

// A textconv driver chosen by `.gitattributes`.
#[test]
fn textconv_runs_nothing() {
    config_vector(|r, m| {
        config(r, "diff.planted.textconv", &format!("{}; cat", touch(m)));
        config(r, "diff.planted.cachetextconv", "false");
        fs::write(r.join(".gitattributes"), b"* diff=planted\n").unwrap();
        fs::write(r.join(".git/info/attributes"), b"* diff=planted\n").unwrap();
    });
}

// A clean/smudge/process filter driver chosen by `.gitattributes`.
#[test]
fn filter_driver_runs_nothing() {
    config_vector(|r, m| {
        let cmd = format!("{}; cat", touch(m));
        config(r, "filter.planted.clean", &cmd);
        config(r, "filter.planted.smudge", &cmd);
        config(r, "filter.planted.process", &touch(m));
        config(r, "filter.planted.required", "true");
        fs::write(r.join(".gitattributes"), b"* filter=planted\n").unwrap();
        fs::write(r.join(".git/info/attributes"), b"* filter=planted\n").unwrap();
    });
}

// A signed commit, `log.showSignature=true` and
// `gpg.program` (and its ssh and x509 siblings) a command.
#[test]
fn gpg_program_runs_nothing() {
    config_vector(|r, m| {
        // A signed commit on top that adds the `.env` again (`git log`
        // verifies the signatures of the commits it shows, and it shows
        // those that add a file).
        let head = git(r, &["rev-parse", "HEAD"]);
        let tree = git(r, &["rev-parse", "HEAD~1^{tree}"]);
        let body = format!(
            "tree {tree}\nparent {head}\nauthor t <t@example.invalid> 1 +0000\n\
             committer t <t@example.invalid> 1 +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n \
             \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n\nsigned\n"
        );
        let body_file = r.join(".git/signed-commit");
        fs::write(&body_file, body).unwrap();
        let signed = git(
            r,
            &[
                "hash-object",
                "-t",
                "commit",
                "-w",
                body_file.to_str().unwrap(),
            ],
        );
        git(r, &["update-ref", "refs/heads/signed", &signed]);
        let gpg = r.join(".git/gpg");
        script(&gpg, m);
        config(r, "log.showSignature", "true");
        for key in [
            "gpg.program",
            "gpg.openpgp.program",
            "gpg.ssh.program",
            "gpg.x509.program",
        ] {
            config(r, key, &gpg.display().to_string());
        }
    });
}

// `core.alternateRefsCommand` with an alternate object store, in a real
// partial clone whose promisor could be fetched from (a commit made in the
// origin after the clone is missing in it).
#[test]
fn alternate_refs_command_runs_nothing() {
    if !require_git() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let marker = d.path().join("marker");
    let origin = repo(d.path(), "origin");
    git(&origin, &["config", "uploadpack.allowFilter", "true"]);
    git(
        &origin,
        &["config", "uploadpack.allowAnySHA1InWant", "true"],
    );
    let url = format!("file://{}", origin.display());
    git(
        d.path(),
        &["clone", "-q", "--filter=blob:none", &url, "clone"],
    );
    let clone = d.path().join("clone");
    git(
        &origin,
        &["commit", "-q", "--allow-empty", "-m", "not cloned"],
    );
    let unfetched = git(&origin, &["rev-parse", "HEAD"]);
    fs::write(
        clone.join(".git/refs/heads/ghost"),
        format!("{unfetched}\n"),
    )
    .unwrap();
    let alt = repo(d.path(), "alt");
    fs::write(
        clone.join(".git/objects/info/alternates"),
        format!("{}\n", alt.join(".git/objects").display()),
    )
    .unwrap();
    config(
        &clone,
        "core.alternateRefsCommand",
        &format!("{}; true", touch(&marker)),
    );
    let o = audit(d.path(), &clone);
    assert_no_marker(&marker, &o);
    assert_history_incomplete(&o, "fatal: bad object refs/heads/ghost");
}

// The issue's row 7: a `.env` added in a merge commit itself (in neither
// parent) and deleted later; audited whole, and as a part of the
// repository (a pathspec-limited history).
#[test]
fn env_added_in_a_merge_commit_is_found() {
    if !require_git() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let r = repo(d.path(), "repo");
    let sub = r.join("sub");
    fs::create_dir(&sub).unwrap();
    fs::write(sub.join("keep"), b"keep\n").unwrap();
    git(&r, &["add", "sub/keep"]);
    git(&r, &["commit", "-q", "-m", "sub"]);
    git(&r, &["checkout", "-q", "-b", "side"]);
    fs::write(r.join("side.txt"), b"side\n").unwrap();
    git(&r, &["add", "side.txt"]);
    git(&r, &["commit", "-q", "-m", "side"]);
    git(&r, &["checkout", "-q", "main"]);
    fs::write(r.join("main.txt"), b"main\n").unwrap();
    git(&r, &["add", "main.txt"]);
    git(&r, &["commit", "-q", "-m", "main"]);
    git(&r, &["merge", "-q", "--no-ff", "--no-commit", "side"]);
    fs::write(sub.join(".env"), TOKEN).unwrap();
    git(&r, &["add", "-f", "sub/.env"]);
    git(&r, &["commit", "-q", "-m", "merge side"]);
    let merge = git(&r, &["rev-parse", "HEAD"]);
    git(&r, &["rm", "-q", "sub/.env"]);
    git(&r, &["commit", "-q", "-m", "remove .env"]);
    for target in [&r, &sub] {
        let o = audit(d.path(), target);
        let sa006 = messages(&o, "SA006");
        assert!(
            sa006
                .iter()
                .any(|m| m.contains(".env") && m.contains(&merge[..12])),
            "{}: the .env of merge {merge} not found: {sa006:?}\n{}",
            target.display(),
            stderr(&o)
        );
        assert_eq!(code(&o), Ok(1));
    }
}

// A shallow clone: the `.env` committed and deleted before its cut is not
// in it, so the history is incomplete and the audit says so.
#[test]
fn shallow_clone_is_history_incomplete() {
    if !require_git() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let origin = repo(d.path(), "origin");
    env_in_history(&origin);
    git(&origin, &["commit", "-q", "--allow-empty", "-m", "later"]);
    let url = format!("file://{}", origin.display());
    git(d.path(), &["clone", "-q", "--depth", "1", &url, "clone"]);
    let o = audit(d.path(), &d.path().join("clone"));
    let sa014 = messages(&o, "SA014");
    assert!(
        sa014
            .iter()
            .any(|m| m.contains("history incomplete") && m.contains("shallow")),
        "{sa014:?}\n{}",
        stdout(&o)
    );
    assert_eq!(code(&o), Ok(1), "{}", stderr(&o));
}

// A replace ref makes the commit after the one that added a `.env` appear
// to have the commit before it as parent: the `.env` commit is hidden
// from a history read with replacements. The audit reads the real one.
#[test]
fn replace_ref_hides_no_commit() {
    if !require_git() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let r = repo(d.path(), "repo");
    let before = git(&r, &["rev-parse", "HEAD"]);
    env_in_history(&r);
    git(&r, &["replace", "--graft", "HEAD", &before]);
    let o = audit(d.path(), &r);
    assert_env_in_history(&o);
}

// The same with `.git/info/grafts` (deprecated, still honoured by git).
#[test]
fn graft_file_hides_no_commit() {
    if !require_git() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let r = repo(d.path(), "repo");
    let before = git(&r, &["rev-parse", "HEAD"]);
    env_in_history(&r);
    let head = git(&r, &["rev-parse", "HEAD"]);
    fs::write(r.join(".git/info/grafts"), format!("{head} {before}\n")).unwrap();
    let o = audit(d.path(), &r);
    assert_env_in_history(&o);
}

// `log.showRoot=false` in the repository hides the files of a root
// commit from `git log`: a `.env` committed first and deleted later.
#[test]
fn show_root_false_hides_no_root_commit() {
    if !require_git() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let r = d.path().join("repo");
    fs::create_dir(&r).unwrap();
    git(&r, &["init", "-q", "."]);
    env_in_history(&r);
    config(&r, "log.showRoot", "false");
    let o = audit(d.path(), &r);
    assert_env_in_history(&o);
}

// A FIFO where git reads the repository's excludes blocks `git
// check-ignore` for good: root's gate would hang. Git is stopped once it
// has been silent too long, and the audit says what it could not learn.
#[test]
fn fifo_at_the_repository_excludes_is_a_finding_not_a_hang() {
    if !require_git() || !require(have_program("mkfifo"), "mkfifo", "coreutils") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let r = repo(d.path(), "repo");
    fs::write(r.join(".env"), TOKEN).unwrap();
    fs::create_dir_all(r.join(".git/info")).unwrap();
    let _ = fs::remove_file(r.join(".git/info/exclude"));
    let o = Command::new("mkfifo")
        .arg(r.join(".git/info/exclude"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let mut c = attacker::secrets(d.path());
    c.args(["audit", "--format", "json"]).arg(&r);
    let limit = Duration::from_secs(120);
    let w = run_watched(c, limit);
    assert!(w.finished, "audit did not finish in {limit:?}");
    let sa014 = messages(&w.output, "SA014");
    assert!(
        sa014.iter().any(|m| m.contains("did not answer")),
        "{sa014:?}\n{}",
        stdout(&w.output)
    );
    assert_eq!(code(&w.output), Ok(1), "{}", stderr(&w.output));
}

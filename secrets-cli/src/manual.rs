//! What a packaged tool ships besides the binary, all from the one clap
//! definition: long help with examples and exit codes, man pages and shell
//! completions.

use std::path::{Path, PathBuf};

use clap::builder::StyledStr;
use clap::{Command, CommandFactory};
use clap_mangen::roff::{bold, roman, Roff};

use secrets_core::unstable::safe_fs::Dir;

use crate::args::Cli;

/// One example: what it does, and the command line (a `\` at the end of a
/// line continues it). The README's tour shows the same lines (a test
/// checks it).
struct Example {
    what: &'static str,
    line: &'static str,
}

const fn ex(what: &'static str, line: &'static str) -> Example {
    Example { what, line }
}

/// The examples of each command, by its words after `secrets`.
const EXAMPLES: &[(&str, &[Example])] = &[
    (
        "",
        &[
            ex("List the built-in components and the kinds of secret", "secrets catalog"),
            ex("A .env for a Postgres and MinIO stack", "secrets generate --with postgres,minio > .env"),
            ex("Rotate a password and everything built from it", "secrets rotate --env /srv/app/.env --with postgres,redis REDIS_PASSWORD"),
            ex("The pre-deploy gate", "secrets audit --fail-on high"),
        ],
    ),
    (
        "generate",
        &[
            ex(
                "Ciphertext only, to an age key",
                "secrets generate --with postgres --encrypt-to age1... > .env.age",
            ),
            ex(
                "A .env for a Postgres and MinIO stack (under umask 022, a new 0600 file replaces the one the shell created)",
                "secrets generate --with postgres,minio > .env",
            ),
            ex("The values of a manifest as JSON", "secrets generate --manifest secrets.toml --format json"),
        ],
    ),
    (
        "catalog",
        &[
            ex("The components and the kinds", "secrets catalog"),
            ex("The same, for a script", "secrets catalog --format json"),
        ],
    ),
    (
        "init",
        &[
            ex(
                "A manifest for the stack's template, with what its compose file reads",
                "secrets init --from .env.example --compose docker-compose.yml --out secrets.toml",
            ),
            ex("The same on stdout, to review first", "secrets init --from .env.example"),
        ],
    ),
    (
        "write",
        &[
            ex(
                "A new .env laid out like the template: its comments, order and settings kept",
                "secrets write --out .env --manifest secrets.toml --template .env.example",
            ),
            ex(
                "Create or complete a .env owned by the user app, and its directory",
                "secrets write --out /srv/app/.env --with postgres,redis --owner app --mkdir",
            ),
            ex(
                "Decrypt straight into the secure writer on the deploy host",
                "secrets write --out /srv/app/.env --from .env.age -i /etc/ssh/ssh_host_ed25519_key --owner app",
            ),
            ex(
                "The same from a manifest, for the service user botservice",
                "secrets write --out /srv/bot/.env --manifest secrets.toml --owner botservice --create-user --mkdir",
            ),
        ],
    ),
    (
        "rotate",
        &[
            ex(
                "Rotate inside an encrypted file (recipients from the manifest)",
                "secrets rotate --env .env.age -i key.txt REDIS_PASSWORD",
            ),
            ex(
                "Rotate a password, and the URL and aliases that hold it",
                "secrets rotate --env /srv/app/.env --with postgres,redis REDIS_PASSWORD",
            ),
            ex(
                "See each key's rotation class, and what --all would skip and why",
                "secrets rotate --env .env --manifest secrets.toml --all --dry-run",
            ),
            ex(
                "Rotate a token, then recreate exactly the compose services that read it",
                "secrets rotate --env /srv/app/.env --compose /srv/app/compose.yml --restart API_TOKEN",
            ),
            ex(
                "Rotate Laravel's APP_KEY, keeping the old key in APP_PREVIOUS_KEYS",
                "secrets rotate --env .env --with laravel APP_KEY --keep-previous",
            ),
            ex(
                "Rotate every key older than its rotate_after, keeping the old values for the rollover",
                "secrets rotate --env .env --manifest secrets.toml --due --keep-previous",
            ),
            ex(
                "Change the role passwords in PostgreSQL too",
                "secrets rotate --env .env --manifest secrets.toml \\\n  DB_AUTHENTICATOR_PASSWORD HASURA_DB_PASSWORD \\\n  --apply postgres --admin-url-var ADMIN_DATABASE_URL",
            ),
            ex(
                "Complete or undo a database rotation that was interrupted",
                "secrets rotate --env .env --resume --admin-url-var ADMIN_DATABASE_URL",
            ),
            ex(
                "Change a MariaDB/MySQL user's password live (the admin URL on stdin)",
                "secrets rotate --env .env --manifest secrets.toml DB_PASSWORD --apply mysql --admin-url -",
            ),
            ex(
                "Change a Redis ACL user's password live, recreating its readers before the old one is removed",
                "secrets rotate --env .env --manifest secrets.toml REDIS_APP_PASSWORD \\\n  --apply redis --admin-url-var REDIS_ADMIN_URL --compose compose.yml --restart",
            ),
            ex(
                "Change a password through the container's own CLI (the value on its stdin)",
                "secrets rotate --env .env --manifest secrets.toml RABBITMQ_DEFAULT_PASS --apply command --compose compose.yml",
            ),
            ex(
                "See the accounts a live step would change, and the restarts",
                "secrets rotate --env .env --manifest secrets.toml DB_PASSWORD --apply mysql --admin-url - --dry-run",
            ),
        ],
    ),
    (
        "check",
        &[
            ex(
                "Check an encrypted file",
                "secrets check --env .env.age -i key.txt",
            ),
            ex("Validate a .env against its manifest", "secrets check --env .env --manifest secrets.toml"),
            ex("Fail only on high findings, as JSON", "secrets check --env .env --format json --fail-on high"),
        ],
    ),
    (
        "audit",
        &[
            ex(
                "Audit /srv for the owner app and apply the safe fixes",
                "secrets audit /srv --owner app --fix",
            ),
            ex(
                "SARIF for code scanning, failing on high findings",
                "secrets audit --fail-on high --format sarif > secrets.sarif",
            ),
            ex(
                "Print the commands --fix would run, changing nothing",
                "secrets audit --fix --dry-run",
            ),
            ex(
                "Accept today's findings (give each a reason in .secrets-baseline.toml); later runs fail only on new ones",
                "secrets audit --update-baseline",
            ),
        ],
    ),
    (
        "export",
        &[
            ex(
                "Docker Swarm: a versioned secret per variable, services rewired",
                "secrets export swarm --env .env --manifest secrets.toml \\\n  --prefix peak --service peak_api --prune",
            ),
            ex(
                "Compose file secrets owned by the container user",
                "secrets export compose --env .env --dir ./secrets --owner 999:999 --mode 400",
            ),
            ex(
                "A Kubernetes Secret manifest at 0600",
                "secrets export k8s --env .env --name app-secrets --namespace prod \\\n  --out secret.yaml",
            ),
        ],
    ),
    (
        "export swarm",
        &[ex(
            "A versioned secret per variable; rewire a service and remove unused versions",
            "secrets export swarm --env .env --manifest secrets.toml \\\n  --prefix peak --service peak_api --prune",
        )],
    ),
    (
        "export compose",
        &[ex(
            "One 0400 file per secret, owned by the container user 999",
            "secrets export compose --env .env --dir ./secrets --owner 999:999 --mode 400",
        )],
    ),
    (
        "export k8s",
        &[ex(
            "A v1 Secret manifest in the namespace prod, written at 0600",
            "secrets export k8s --env .env --name app-secrets --namespace prod \\\n  --out secret.yaml",
        )],
    ),
    (
        "hash",
        &[ex("A SCRAM-SHA-256 verifier for PostgreSQL", "printf '%s\\n' \"$password\" | secrets hash scram")],
    ),
    (
        "hash scram",
        &[ex("A verifier of the password in $password", "printf '%s\\n' \"$password\" | secrets hash scram")],
    ),
    (
        "completions",
        &[
            ex("bash", "secrets completions bash > /usr/share/bash-completion/completions/secrets"),
            ex("zsh", "secrets completions zsh > \"${fpath[1]}/_secrets\""),
            ex("fish", "secrets completions fish > ~/.config/fish/completions/secrets.fish"),
        ],
    ),
    (
        "man",
        &[ex(
            "Install the pages for man(1)",
            "secrets man --dir /usr/local/share/man/man1",
        )],
    ),
    (
        "encrypt",
        &[ex(
            "Encrypt a .env to the deploy host's SSH key",
            "secrets encrypt --env .env -R /etc/ssh/ssh_host_ed25519_key.pub -r age1... --out .env.age",
        )],
    ),
    (
        "decrypt",
        &[ex(
            "Decrypt with the host key into a pipe",
            "secrets decrypt --env .env.age -i key.txt",
        )],
    ),
    (
        "edit",
        &[ex(
            "Edit an encrypted .env in $EDITOR",
            "secrets edit .env.age -i key.txt",
        )],
    ),
    (
        "run",
        &[ex(
            "Run a command with the variables in its environment",
            "secrets run --env .env.age -i key.txt --only DATABASE_URL -- ./migrate",
        )],
    ),
    (
        "set",
        &[
            ex(
                "Set a provider's key, typed at a prompt that does not echo",
                "secrets set STRIPE_SECRET_KEY --env /srv/app/.env",
            ),
            ex(
                "The same from a password manager, through a pipe (never argv)",
                "pass show shop/smtp | secrets set SMTP_PASSWORD --manifest secrets.toml",
            ),
        ],
    ),
    (
        "get",
        &[ex(
            "One value, to a command that reads it on stdin",
            "secrets get POSTGRES_PASSWORD --env /srv/app/.env | psql-setup --password-stdin",
        )],
    ),
];

/// Exit codes of a command that reports findings, and of the others.
const EXIT_FINDINGS: &[(&str, &str)] = &[
    ("0", "no finding at or above --fail-on"),
    ("1", "findings at or above --fail-on"),
    ("2", "usage or operational error"),
];
const EXIT_PLAIN: &[(&str, &str)] = &[("0", "success"), ("2", "usage or operational error")];
const EXIT_ROTATE: &[(&str, &str)] = &[
    ("0", "success"),
    ("2", "usage or operational error"),
    (
        "3",
        "the file holds the new values, but --restart could not recreate their readers (named on stderr): they still run with the old values",
    ),
];
const EXIT_TOP: &[(&str, &str)] = &[
    ("0", "success"),
    ("1", "findings (check, audit)"),
    ("2", "usage or operational error"),
];

fn exit_codes(path: &str) -> &'static [(&'static str, &'static str)] {
    match path {
        "" => EXIT_TOP,
        "check" | "audit" => EXIT_FINDINGS,
        "rotate" => EXIT_ROTATE,
        _ => EXIT_PLAIN,
    }
}

fn examples(path: &str) -> &'static [Example] {
    EXAMPLES
        .iter()
        .find(|(p, _)| *p == path)
        .map_or(&[], |(_, e)| e)
}

/// Help text with a bold, underlined heading as clap styles its own (clap
/// drops the style without colour).
fn heading(text: &str) -> String {
    let style = clap::builder::styling::Style::new().bold().underline();
    format!("{style}{text}{style:#}")
}

fn exit_text(path: &str) -> String {
    let mut out = heading("Exit codes:");
    for (code, what) in exit_codes(path) {
        out.push_str(&format!("\n  {code}  {what}"));
    }
    out
}

fn long_text(path: &str) -> String {
    let mut out = String::new();
    let examples = examples(path);
    if !examples.is_empty() {
        out.push_str(&heading("Examples:"));
        for e in examples {
            out.push_str(&format!("\n  # {}\n", e.what));
            for line in e.line.lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
        out.push('\n');
    }
    out.push_str(&exit_text(path));
    out
}

/// Adds the examples and exit codes to `cmd` (named by `words`) and its
/// subcommands; `pages` drops clap's `help` subcommands, which have no page.
fn decorate(cmd: Command, words: &[String], pages: bool) -> Command {
    // The command's words after `secrets`: `export swarm`.
    let path = words.join(" ");
    let mut cmd = cmd
        .after_help(StyledStr::from(exit_text(&path)))
        .after_long_help(StyledStr::from(long_text(&path)))
        .disable_help_subcommand(pages);
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        let words = [words, std::slice::from_ref(&name)].concat();
        cmd = cmd.mut_subcommand(&name, |sub| decorate(sub, &words, pages));
    }
    cmd
}

/// The whole command line interface: the derive definition with each
/// command's examples and exit codes.
pub fn command() -> Command {
    named_secrets(decorate(Cli::command(), &[], false))
}

/// Every subcommand shown as `secrets` in `--version` (clap would say
/// `secrets-generate`: the display name the man pages keep as page names).
fn named_secrets(cmd: Command) -> Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    names.iter().fold(cmd, |cmd, name| {
        cmd.mut_subcommand(name, |sub| named_secrets(sub.display_name("secrets")))
    })
}

/// The man page of one command (built, so its display name is
/// `secrets-export-swarm`), its path after `secrets`, and the pages of its
/// parent and subcommands.
fn render_page(cmd: &Command, path: &str, parent: Option<&str>) -> std::io::Result<Vec<u8>> {
    let page =
        clap_mangen::Man::new(cmd.clone()).source(format!("secrets {}", env!("CARGO_PKG_VERSION")));
    let mut out = Vec::new();
    page.render_title(&mut out)?;
    // No hyphenation and a ragged right margin: option and page names must
    // stay whole to be copied.
    let mut plain = Roff::new();
    plain.control("nh", []).control("ad", ["l"]);
    plain.to_writer(&mut out)?;
    page.render_name_section(&mut out)?;
    page.render_synopsis_section(&mut out)?;
    page.render_description_section(&mut out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        page.render_options_section(&mut out)?;
    }
    if cmd.get_subcommands().next().is_some() {
        page.render_subcommands_section(&mut out)?;
    }
    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]);
    for (code, what) in exit_codes(path) {
        roff.control("TP", [])
            .text([bold(*code)])
            .text([roman(*what)]);
    }
    if path.is_empty() {
        roff.control("SH", ["ENVIRONMENT"]);
        roff.control("TP", []).text([bold("NO_COLOR")]).text([roman(
            "When set and not empty, no colour unless --color always.",
        )]);
    }
    let examples = examples(path);
    if !examples.is_empty() {
        roff.control("SH", ["EXAMPLES"]);
        for e in examples {
            roff.control("PP", []).text([roman(format!("{}:", e.what))]);
            roff.control("PP", [])
                .control("RS", ["4"])
                .control("nf", []);
            for line in e.line.lines() {
                roff.text([roman(line)]);
            }
            roff.control("fi", []).control("RE", []);
        }
    }
    let name = |c: &Command| c.get_display_name().unwrap_or(c.get_name()).to_owned();
    let mut see_also: Vec<String> = parent.map(str::to_owned).into_iter().collect();
    see_also.extend(cmd.get_subcommands().map(name));
    if !see_also.is_empty() {
        roff.control("SH", ["SEE ALSO"]);
        let last = see_also.len() - 1;
        let mut inlines = Vec::new();
        for (i, page) in see_also.iter().enumerate() {
            inlines.push(bold(page.as_str()));
            inlines.push(roman(if i == last { "(1)" } else { "(1), " }));
        }
        roff.text(inlines);
    }
    roff.to_writer(&mut out)?;
    page.render_version_section(&mut out)?;
    Ok(out)
}

/// Writes `secrets.1` and one page per subcommand (`secrets-export-swarm.1`)
/// into `dir`, creating it (not its parents) at 0755 by the rule of
/// [`Dir::open_or_create_public`] (as the parent's owner when that is
/// another user); returns the files written. Each page replaces its name rather than writing through it
/// ([`Dir::replace_file`]): run as root into a directory someone else can
/// change, a link planted as `secrets.1` must not make root overwrite what
/// it points to.
pub fn write_man_pages(dir: &Path) -> Result<Vec<PathBuf>, Box<dyn std::error::Error>> {
    fn walk(
        cmd: &Command,
        path: &mut Vec<String>,
        parent: Option<&str>,
        dir: &Dir,
        written: &mut Vec<PathBuf>,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let name = cmd.get_display_name().unwrap_or(cmd.get_name()).to_owned();
        let file = format!("{name}.1");
        let page = render_page(cmd, &path.join(" "), parent)?;
        dir.replace_file(file.as_ref(), &page, 0o644)?;
        written.push(dir.child(file.as_ref()));
        for sub in cmd.get_subcommands() {
            path.push(sub.get_name().to_owned());
            walk(sub, path, Some(&name), dir, written)?;
            path.pop();
        }
        Ok(())
    }
    let (handle, _) = Dir::open_or_create_public(dir, 0o755)?;
    let mut cmd = decorate(Cli::command(), &[], true);
    cmd.build();
    let mut written = Vec::new();
    walk(&cmd, &mut Vec::new(), None, &handle, &mut written)?;
    Ok(written)
}

/// The completion script of a shell.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command(), "secrets", &mut out);
    out
}

/// A command added without examples, or examples left for a command that
/// is gone, fails here.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_has_examples_and_every_example_names_a_command() {
        let mut cmd = decorate(Cli::command(), &[], true);
        cmd.build();
        fn walk(cmd: &Command, path: &mut Vec<String>, seen: &mut Vec<String>) {
            let p = path.join(" ");
            assert!(!examples(&p).is_empty(), "`secrets {p}` has no examples");
            seen.push(p);
            for sub in cmd.get_subcommands() {
                path.push(sub.get_name().to_owned());
                walk(sub, path, seen);
                path.pop();
            }
        }
        let mut seen = Vec::new();
        walk(&cmd, &mut Vec::new(), &mut seen);
        for (path, _) in EXAMPLES {
            assert!(seen.iter().any(|s| s == path), "no command `{path}`");
        }
    }
}

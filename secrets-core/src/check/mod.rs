//! Validation of a `.env` against its manifest and the kind rules: one file
//! per rule, each with a stable id, a severity, a one-line message and a fix
//! hint. Findings name the file, line and key, never a value.
//!
//! The rules need the `check` feature. What writing a `.env` relies on is
//! always there: [`is_placeholder`], [`published_default`], the reader
//! models ([`runs_on`], [`disagreeing_readers`]) and [`is_secret_key`].

mod dialect;
#[cfg(feature = "check")]
mod duplicate_key;
#[cfg(feature = "check")]
mod empty;
#[cfg(feature = "check")]
mod encrypted;
#[cfg(feature = "check")]
mod entropy;
#[cfg(feature = "check")]
mod example_value;
#[cfg(feature = "check")]
mod external_unset;
#[cfg(feature = "check")]
mod format;
#[cfg(feature = "check")]
mod key_without_value;
#[cfg(feature = "check")]
mod missing;
mod placeholder;
mod published_default;
#[cfg(feature = "check")]
mod reused;
#[cfg(feature = "check")]
mod rotation;
#[cfg(feature = "check")]
mod rule_id;
#[cfg(feature = "check")]
mod stale;
#[cfg(feature = "check")]
mod template_extra;
#[cfg(feature = "check")]
mod template_missing;

use std::path::{Path, PathBuf};

#[cfg(feature = "check")]
use crate::envfile::{is_dotenvx_encrypted, Document};
use crate::generate::Kind;
use crate::manifest::Source;
use crate::stack::Stack;

pub use dialect::{disagreeing_readers, runs_on};
pub use placeholder::is_placeholder;
pub use published_default::published_default;
#[cfg(feature = "check")]
pub use rule_id::{RuleId, UnknownRuleId};

#[cfg(feature = "check")]
/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth fixing.
    Low,
    /// Fix before deploying.
    Medium,
    /// A secret is exposed or worthless.
    High,
}

#[cfg(feature = "check")]
impl Severity {
    /// Parses `low`, `medium` or `high`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            _ => None,
        }
    }

    /// The lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

#[cfg(feature = "check")]
/// The lowercase name (`high`).
impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(feature = "check")]
/// A rule's fixed description.
#[derive(Debug, serde::Serialize)]
pub struct Rule {
    /// Stable id (`SC...` for check, `SA...` for audit).
    pub id: RuleId,
    /// Short kebab-case name.
    pub name: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// What it finds.
    pub summary: &'static str,
    /// How to fix it.
    pub help: &'static str,
}

#[cfg(feature = "check")]
/// A safe repair `audit --fix` may apply.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Fix {
    /// Set a file's or directory's mode.
    Chmod {
        /// The path.
        #[serde(serialize_with = "lossy_path")]
        path: PathBuf,
        /// The new mode.
        mode: u32,
    },
    /// Set a file's owner.
    Chown {
        /// The path.
        #[serde(serialize_with = "lossy_path")]
        path: PathBuf,
        /// User id.
        uid: Option<u32>,
        /// Group id.
        gid: Option<u32>,
    },
    /// Append a line to an ignore file (`.gitignore`, `.dockerignore`).
    Ignore {
        /// The ignore file.
        #[serde(serialize_with = "lossy_path")]
        file: PathBuf,
        /// The pattern to add.
        pattern: String,
    },
}

#[cfg(feature = "check")]
impl Fix {
    /// The shell command that makes this repair, runnable as printed: the
    /// real path, shell-quoted, owners by name where they have one
    /// (`chown svc:svc /srv/app/.env`).
    pub fn command(&self) -> String {
        match self {
            Fix::Chmod { path, mode } => format!("chmod {mode:o} {}", shell_quote(path)),
            Fix::Chown { path, uid, gid } => {
                let path = shell_quote(path);
                match (uid, gid) {
                    (Some(u), Some(g)) => {
                        format!("chown {}:{} {path}", user_name(*u), group_name(*g))
                    }
                    (Some(u), None) => format!("chown {} {path}", user_name(*u)),
                    (None, Some(g)) => format!("chgrp {} {path}", group_name(*g)),
                    (None, None) => format!("true {path}"),
                }
            }
            Fix::Ignore { file, pattern } => format!(
                "printf '%s\\n' {} >> {}",
                shell_quote(Path::new(pattern)),
                shell_quote(file)
            ),
        }
    }
}

/// `path` as one shell word: bare when it holds only safe characters,
/// else in single quotes (a `'` written `'\''`).
pub fn shell_quote(path: &Path) -> String {
    let text = path.to_string_lossy();
    let safe = |c: char| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c);
    if !text.is_empty() && text.chars().all(safe) && !text.starts_with('-') {
        return text.into_owned();
    }
    let prefix = if text.starts_with('-') { "./" } else { "" };
    format!("'{prefix}{}'", text.replace('\'', "'\\''"))
}

/// A user's name, or its number when it has none (quoted as a word).
pub fn user_name(uid: u32) -> String {
    match nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)) {
        Ok(Some(u)) => shell_quote(Path::new(&u.name)),
        _ => uid.to_string(),
    }
}

/// A group's name, or its number when it has none (quoted as a word).
pub fn group_name(gid: u32) -> String {
    match nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(gid)) {
        Ok(Some(g)) => shell_quote(Path::new(&g.name)),
        _ => gid.to_string(),
    }
}

#[cfg(feature = "check")]
fn lossy_path<S: serde::Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&path.to_string_lossy())
}

#[cfg(feature = "check")]
/// One problem found. Holds no secret value.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Finding {
    /// The rule id.
    pub rule: RuleId,
    /// The rule name.
    pub name: &'static str,
    /// Severity.
    pub severity: Severity,
    /// The file concerned (in JSON, bytes that are not UTF-8 are shown as
    /// U+FFFD: a report never fails on a name).
    #[serde(serialize_with = "lossy_path")]
    pub path: PathBuf,
    /// 1-based line, when there is one.
    pub line: Option<usize>,
    /// The variable, when there is one.
    pub key: Option<String>,
    /// One line saying what is wrong.
    pub message: String,
    /// How to fix it: the rule's advice, or a command to run as printed
    /// (with the file's real path, shell-quoted) where there is one.
    pub help: std::borrow::Cow<'static, str>,
    /// The repair `--fix` applies, for fixable rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
    /// What tells this finding apart from others of its rule on its file,
    /// for baselines: the commit of a history finding. Never a value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

#[cfg(feature = "check")]
impl Finding {
    /// A finding of `rule` at a place.
    pub fn new(
        rule: &'static Rule,
        path: &Path,
        line: Option<usize>,
        key: Option<&str>,
        message: String,
    ) -> Self {
        Finding {
            rule: rule.id,
            name: rule.name,
            severity: rule.severity,
            path: path.to_owned(),
            line,
            key: key.map(str::to_owned),
            message,
            help: std::borrow::Cow::Borrowed(rule.help),
            fix: None,
            fingerprint: None,
        }
    }

    /// With advice of its own (a command naming the real path).
    pub fn with_help(mut self, help: String) -> Self {
        self.help = std::borrow::Cow::Owned(help);
        self
    }

    /// With a fingerprint (see [`Finding::fingerprint`]).
    pub fn with_fingerprint(mut self, fingerprint: String) -> Self {
        self.fingerprint = Some(fingerprint);
        self
    }

    /// With a repair; the advice becomes its command.
    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.help = std::borrow::Cow::Owned(format!("{} (--fix does it)", fix.command()));
        self.fix = Some(fix);
        self
    }

    /// With another severity than the rule's default.
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Where it is, as reports show it: `PATH` or `PATH:LINE`, the path's
    /// control characters made visible
    /// ([`crate::display::escape_controls`]).
    pub fn place(&self) -> String {
        let path = self.path.display().to_string();
        let path = crate::display::escape_controls(&path);
        match self.line {
            Some(l) => format!("{path}:{l}"),
            None => path.into_owned(),
        }
    }
}

#[cfg(feature = "check")]
/// The line `secrets check` and `secrets audit` print:
/// `PATH:LINE: severity RULE name: message`, control characters made
/// visible so that no name or message forges another line. The hint
/// ([`Finding::help`]) is not part of it.
///
/// ```
/// use secrets_core::check::{Finding, RuleId};
///
/// let rule = secrets_core::report::all_rules()
///     .into_iter()
///     .find(|r| r.id == RuleId::Placeholder)
///     .unwrap();
/// let f = Finding::new(rule, ".env".as_ref(), Some(3), Some("API_KEY"), "a placeholder".into());
/// assert_eq!(f.to_string(), format!(".env:3: {} SC004 {}: a placeholder", f.severity, f.name));
/// ```
impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} {} {}: {}",
            self.place(),
            self.severity,
            self.rule,
            self.name,
            crate::display::escape_controls(&self.message)
        )
    }
}

#[cfg(feature = "check")]
/// What an env check looks at.
#[derive(Debug)]
pub struct EnvContext<'a> {
    /// The file's path, for findings.
    pub path: &'a Path,
    /// The parsed file.
    pub doc: &'a Document,
    /// The manifest's stack, when one was given.
    pub stack: Option<&'a Stack>,
    /// The template: the sibling `.env.example`, or `check --template`.
    pub example: Option<&'a Document>,
    /// The template's path, for messages.
    pub example_path: Option<&'a Path>,
    /// The time (rotation ages, token expiry).
    pub now: std::time::SystemTime,
}

#[cfg(feature = "check")]
/// One rule over one `.env`.
pub trait EnvCheck: Sync {
    /// The rule.
    fn rule(&self) -> &'static Rule;
    /// Appends its findings.
    fn run(&self, cx: &EnvContext<'_>, out: &mut Vec<Finding>);
}

#[cfg(feature = "check")]
/// Every env check, in id order.
pub fn env_checks() -> &'static [&'static dyn EnvCheck] {
    &[
        &missing::Missing,
        &empty::Empty,
        &external_unset::ExternalUnset,
        &placeholder::Placeholder,
        &published_default::PublishedDefault,
        &example_value::ExampleValue,
        &format::Format,
        &entropy::LowEntropy,
        &reused::Reused,
        &stale::Stale,
        &dialect::Dialect,
        &rotation::RotationOverdue,
        &duplicate_key::DuplicateKey,
        &key_without_value::KeyWithoutValue,
        &template_missing::TemplateMissing,
        &template_extra::TemplateExtra,
        &encrypted::Encrypted,
    ]
}

#[cfg(feature = "check")]
/// Runs every env check.
///
/// ```
/// use std::path::Path;
/// use secrets_core::check::{check_env, EnvContext};
/// use secrets_core::envfile::Document;
///
/// let doc = Document::parse(b"POSTGRES_PASSWORD=changeme\nAPI_TOKEN=password1\n")?;
/// let findings = check_env(&EnvContext {
///     path: Path::new(".env"),
///     doc: &doc,
///     stack: None,
///     example: None,
///     example_path: None,
///     now: std::time::SystemTime::now(),
/// });
/// let rules: Vec<String> = findings.iter().map(|f| f.rule.to_string()).collect();
/// assert!(rules.contains(&"SC004".to_owned()), "{rules:?}"); // a placeholder
/// assert!(rules.contains(&"SC008".to_owned()), "{rules:?}"); // guessable
/// // Findings name keys, never values.
/// assert!(findings.iter().all(|f| !f.message.contains("changeme")));
/// # Ok::<(), secrets_core::envfile::ParseError>(())
/// ```
pub fn check_env(cx: &EnvContext<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for c in env_checks() {
        c.run(cx, &mut out);
    }
    out
}

/// Whether a variable name looks like it holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    let secretish = [
        "PASSWORD",
        "PASSWD",
        "_PASS",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "PRIVATE",
        "CREDENTIAL",
        "_KEY",
        "SALT",
        "AUTH",
    ]
    .iter()
    .any(|w| n.contains(w) || n.starts_with(w.trim_start_matches('_')));
    let public = [
        "PUBLIC",
        "_ID",
        "_USER",
        "_USERNAME",
        "_EMAIL",
        "_NAME",
        "_HOST",
        "_PORT",
        "_FILE",
        "_URL",
        "_SUBJECT",
        "_PATH",
        "_TTL",
    ]
    .iter()
    .any(|w| n.ends_with(w) || (w == &"PUBLIC" && n.contains(w)));
    secretish && !public
}

/// Whether `key` holds a secret: by the manifest's source when it declares
/// the key (not literals, user names or public keys), otherwise by name.
pub fn is_secret_key(stack: Option<&Stack>, key: &str) -> bool {
    match stack.and_then(|s| s.holds_secret(key)) {
        Some(secret) => secret,
        None => is_secret_name(key),
    }
}

/// [`is_secret_key`] for a variable of `stack`, from its source (the stack
/// keeps the answers).
pub(crate) fn is_secret_var(stack: &Stack, v: &crate::manifest::VarDef) -> bool {
    match &v.source {
        Source::Literal(_) => false,
        Source::Generate(Kind::Username { .. }) | Source::Generate(Kind::Uuid) => false,
        Source::Derive { derivation, .. } => derivation.name() != "vapid-public-key",
        Source::External => is_secret_name(&v.name),
        // `http://${APP_DOMAIN}`, an alias of a URL: as secret as what
        // it is built from.
        Source::SameAs(_) | Source::Template(_) => {
            v.source.inputs().iter().any(|i| match stack.var(i) {
                Some(input) => is_secret_var(stack, input),
                None => is_secret_name(i),
            })
        }
        Source::Generate(_) => true,
    }
}

#[cfg(feature = "check")]
/// The assignments that hold secrets ([`is_secret_key`]), with their
/// lines. The last assignment of a key counts.
pub fn secret_entries<'a>(cx: &'a EnvContext<'_>) -> Vec<(usize, &'a str, &'a str)> {
    let mut out: Vec<(usize, &str, &str)> = Vec::new();
    for (line, e) in cx.doc.entries_with_lines() {
        // A dotenvx ciphertext says nothing of its plaintext (SC017 notes it).
        if is_secret_key(cx.stack, e.key()) && !is_dotenvx_encrypted(e.value().expose()) {
            out.push((line, e.key(), e.value().expose()));
        }
    }
    // The last assignment of a key counts; duplicates are rare, so look
    // for them once rather than at every push.
    let mut keys: Vec<&str> = out.iter().map(|(_, k, _)| *k).collect();
    keys.sort_unstable();
    if keys.windows(2).any(|w| w[0] == w[1]) {
        let mut seen = std::collections::HashSet::new();
        out.reverse();
        out.retain(|(_, k, _)| seen.insert(*k));
        out.reverse();
    }
    out
}

#[cfg(feature = "check")]
/// How messages name the template: its path as given, else `.env.example`.
pub fn template_name(cx: &EnvContext<'_>) -> String {
    cx.example_path
        .map_or_else(|| ".env.example".to_owned(), |p| p.display().to_string())
}

/// The template a `.env` is compared with when none is named: the
/// `.env.example` in its directory.
pub fn template_beside(env: &Path) -> PathBuf {
    env.with_file_name(".env.example")
}

#[cfg(feature = "check")]
/// The line of the last assignment of `key`.
pub fn line_of(doc: &Document, key: &str) -> Option<usize> {
    doc.line_of(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "check")]
    #[test]
    fn rule_names_are_unique() {
        let rules = crate::report::all_rules();
        let n = rules.len();
        let mut names: Vec<&str> = rules.iter().map(|r| r.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "duplicate rule names");
    }

    #[cfg(feature = "check")]
    #[test]
    fn the_last_assignment_of_a_key_counts_in_its_place() {
        let doc =
            Document::parse(b"A_PASSWORD=one\nB_TOKEN=two\nPORT=80\nA_PASSWORD=three\n").unwrap();
        let cx = EnvContext {
            path: Path::new(".env"),
            doc: &doc,
            stack: None,
            example: None,
            example_path: None,
            now: std::time::UNIX_EPOCH,
        };
        assert_eq!(
            secret_entries(&cx),
            [(2, "B_TOKEN", "two"), (4, "A_PASSWORD", "three")]
        );
    }

    #[test]
    fn a_stack_answers_secret_keys_as_their_sources_say() {
        let stack = Stack::from_manifest(
            crate::manifest::ManifestFile::parse(
                "m.toml",
                "[stack]\ninclude = [\"postgres\", \"web-push\"]\n\
                 [vars.SITE]\nvalue = \"x\"\n[vars.SITE_URL]\ntemplate = \"https://${SITE}/\"\n",
            )
            .unwrap(),
        )
        .unwrap();
        let secret = |k| is_secret_key(Some(&stack), k);
        assert!(secret("POSTGRES_PASSWORD"));
        assert!(secret("DATABASE_URL"), "a URL over a password");
        assert!(!secret("POSTGRES_USER"));
        assert!(!secret("VAPID_PUBLIC_KEY"));
        assert!(secret("VAPID_PRIVATE_KEY"));
        assert!(!secret("SITE_URL"), "a template over a setting");
        assert!(secret("UNKNOWN_TOKEN"), "by name when undeclared");
        assert!(!secret("UNKNOWN_PORT"));
    }

    #[test]
    fn secret_names() {
        for n in [
            "POSTGRES_PASSWORD",
            "JWT_SECRET",
            "API_KEYS",
            "IMGPROXY_KEY",
            "IMGPROXY_SALT",
            "SLACK_BOT_TOKEN",
            "MINIO_ROOT_PASS",
            "S3_APP_SECRET_KEY",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in [
            "POSTGRES_USER",
            "VAPID_PUBLIC_KEY",
            "GOOGLE_CLIENT_ID",
            "DATABASE_URL",
            "PORT",
            "KEY_FILE",
            "POSTGRES_PASSWORD_FILE",
        ] {
            assert!(!is_secret_name(n), "{n}");
        }
    }
}

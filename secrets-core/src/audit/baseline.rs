//! Accepted findings: a reviewable TOML file in the repository, like
//! `.gitleaksignore` or a detect-secrets baseline. Each entry names a
//! finding by its rule, its path (relative to the baseline's directory)
//! and a fingerprint that holds no secret (the commit of a history
//! finding, the variable of a check finding), with a reason. An accepted
//! finding is still reported on request but does not fail the gate; an
//! entry that no longer matches anything is reported as stale.
//!
//! ```toml
//! [[accepted]]
//! rule = "SA006"
//! path = "app/.env"
//! fingerprint = "commit 0123456789abcdef0123456789abcdef01234567"
//! reason = "rotated on 2026-03-02; the history is kept"
//! ```
//!
//! [`Baseline::render`] writes entries sorted, one layout, so that a file
//! it wrote is read and written back byte for byte.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::check::Finding;
use crate::secure_file::{SecureFile, WriteError, WriteOptions};

/// The baseline `secrets audit` reads when it is present and no other is
/// named: `.secrets-baseline.toml` in the working directory.
pub const DEFAULT_BASELINE: &str = ".secrets-baseline.toml";

/// The largest baseline read (a finding per line of a large tree fits).
const LIMIT: u64 = 4 << 20;

/// The header [`Baseline::render`] writes.
const HEADER: &str =
    "# Findings `secrets audit` accepts: each is still listed with --show-accepted but\n\
# does not fail the gate. `secrets audit --update-baseline` rewrites this file;\n\
# give each entry a reason. An entry nothing matches any more is reported as stale.\n";

/// What identifies a finding in a baseline.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// The rule's code (`SA006`).
    pub rule: String,
    /// The path, relative to the baseline's directory when beneath it.
    pub path: String,
    /// What tells findings of one rule on one file apart (the commit of a
    /// history finding, `key NAME` of a check finding); empty for none.
    pub fingerprint: String,
}

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// Which finding.
    pub key: Key,
    /// Why it is accepted.
    pub reason: String,
}

/// A baseline: accepted findings, sorted by key, each once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    /// The directory paths are relative to.
    dir: PathBuf,
    entries: BTreeMap<Key, String>,
}

/// A baseline that could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BaselineError {
    /// Not valid TOML, or not a baseline.
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// Not UTF-8.
    #[error("{path}:{line}:{column}: not UTF-8")]
    NotUtf8 {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// Reading or writing through the secure writer failed.
    #[error(transparent)]
    Write(#[from] WriteError),
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    accepted: Vec<Entry>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    rule: String,
    path: String,
    #[serde(default)]
    fingerprint: String,
    #[serde(default)]
    reason: String,
}

/// The findings of an audit judged against a baseline.
#[derive(Debug, Default)]
pub struct Judged {
    /// Findings no entry accepts: these fail the gate.
    pub new: Vec<Finding>,
    /// Findings an entry accepts, with its reason.
    pub accepted: Vec<(Finding, String)>,
    /// Entries that match no finding any more.
    pub stale: Vec<Accepted>,
}

/// `path` made absolute against the working directory, `.` and `..` taken
/// lexically (names are compared, nothing is opened).
fn absolute(path: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    super::walk::normalize(&cwd.join(path))
}

/// Line and column (1-based) of byte `at` in `text`.
fn line_col(text: &[u8], at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    (line, column)
}

/// A TOML basic string.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

impl Baseline {
    /// An empty baseline for a file at `path`.
    pub fn empty(path: &Path) -> Self {
        Baseline {
            dir: absolute(path.parent().unwrap_or(Path::new(""))),
            entries: BTreeMap::new(),
        }
    }

    /// Parses the text of a baseline at `path`. An entry given twice is
    /// kept once (the first reason).
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self, BaselineError> {
        let shown = path.display().to_string();
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let (line, column) = line_col(bytes, e.valid_up_to());
            BaselineError::NotUtf8 {
                path: shown.clone(),
                line,
                column,
            }
        })?;
        let file: File = toml::from_str(text).map_err(|e| {
            let (line, column) = line_col(bytes, e.span().map_or(0, |s| s.start));
            BaselineError::Parse {
                path: shown.clone(),
                line,
                column,
                message: e.message().trim().to_owned(),
            }
        })?;
        let mut baseline = Self::empty(path);
        for e in file.accepted {
            let key = Key {
                rule: e.rule,
                path: e.path,
                fingerprint: e.fingerprint,
            };
            baseline.entries.entry(key).or_insert(e.reason);
        }
        Ok(baseline)
    }

    /// Reads the baseline at `path` as a manifest is read: owned by root or
    /// the caller, in directories no other user can change. It decides what
    /// passes the gate, so a baseline another user wrote (even in their own
    /// project, where root may run the audit) would accept findings for
    /// them. `None` when it does not exist, wherever it would be: no
    /// baseline accepts nothing, so the audit of a directory others can
    /// write still runs (and reports that directory).
    pub fn load(path: &Path) -> Result<Option<Self>, BaselineError> {
        if matches!(std::fs::symlink_metadata(path), Err(e) if e.kind() == std::io::ErrorKind::NotFound)
        {
            return Ok(None);
        }
        let bytes = crate::safe_fs::read_trusted(path, LIMIT).map_err(WriteError::from)?;
        match bytes {
            Some(bytes) => Self::parse(path, &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// The entries, sorted.
    pub fn entries(&self) -> impl Iterator<Item = Accepted> + '_ {
        self.entries.iter().map(|(key, reason)| Accepted {
            key: key.clone(),
            reason: reason.clone(),
        })
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The key of `finding` in this baseline.
    pub fn key(&self, finding: &Finding) -> Key {
        let path = absolute(&finding.path);
        let path = match path.strip_prefix(&self.dir) {
            Ok(rel) if !rel.as_os_str().is_empty() => rel.to_string_lossy().into_owned(),
            Ok(_) => ".".to_owned(),
            Err(_) => path.to_string_lossy().into_owned(),
        };
        let fingerprint = match (&finding.fingerprint, &finding.key) {
            (Some(f), _) => f.clone(),
            (None, Some(k)) => format!("key {k}"),
            (None, None) => String::new(),
        };
        Key {
            rule: finding.rule.code().to_owned(),
            path,
            fingerprint,
        }
    }

    /// Splits `findings` into new and accepted, and lists the stale
    /// entries.
    pub fn judge(&self, findings: Vec<Finding>) -> Judged {
        let mut judged = Judged::default();
        let mut matched = std::collections::BTreeSet::new();
        for f in findings {
            let key = self.key(&f);
            match self.entries.get_key_value(&key) {
                Some((k, reason)) => {
                    matched.insert(k);
                    judged.accepted.push((f, reason.clone()));
                }
                None => judged.new.push(f),
            }
        }
        judged.stale = (self.entries.iter())
            .filter(|(k, _)| !matched.contains(k))
            .map(|(key, reason)| Accepted {
                key: key.clone(),
                reason: reason.clone(),
            })
            .collect();
        judged
    }

    /// The baseline accepting exactly `findings`: the reasons of entries
    /// that still match are kept, new entries get an empty reason, stale
    /// ones are dropped.
    pub fn updated(&self, findings: &[Finding]) -> Self {
        let mut next = Baseline {
            dir: self.dir.clone(),
            entries: BTreeMap::new(),
        };
        for f in findings {
            let key = self.key(f);
            let reason = self.entries.get(&key).cloned().unwrap_or_default();
            next.entries.entry(key).or_insert(reason);
        }
        next
    }

    /// The file's text: a header, then one `[[accepted]]` table per entry
    /// in key order, the fingerprint left out when empty.
    pub fn render(&self) -> String {
        let mut out = String::from(HEADER);
        for (key, reason) in &self.entries {
            out.push_str("\n[[accepted]]\n");
            out.push_str(&format!("rule = {}\n", quoted(&key.rule)));
            out.push_str(&format!("path = {}\n", quoted(&key.path)));
            if !key.fingerprint.is_empty() {
                out.push_str(&format!("fingerprint = {}\n", quoted(&key.fingerprint)));
            }
            out.push_str(&format!("reason = {}\n", quoted(reason)));
        }
        out
    }

    /// Writes the baseline to `path` through the secure writer (locked,
    /// atomic, mode 0640: reviewable text that holds no secret).
    pub fn write(&self, path: &Path) -> Result<(), BaselineError> {
        let options = WriteOptions::default()
            .group_readable(0o640)
            .map_err(BaselineError::Write)?;
        let file = SecureFile::open(path, options)?;
        let locked = file.lock()?;
        locked.replace(self.render().as_bytes())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Rule, RuleId, Severity};

    static RULE: Rule = Rule {
        id: RuleId::FilePermissions,
        name: "file-permissions",
        severity: Severity::High,
        summary: "s",
        help: "h",
    };

    fn finding(path: &str) -> Finding {
        Finding::new(&RULE, Path::new(path), None, None, "m".into())
    }

    #[test]
    fn accepted_new_and_stale_and_a_round_trip() {
        let dir = absolute(Path::new("."));
        let file = dir.join(DEFAULT_BASELINE);
        let text = format!(
            "{HEADER}\n[[accepted]]\nrule = \"SA001\"\npath = \"a/.env\"\nreason = \"test fixture\"\n\n[[accepted]]\nrule = \"SA001\"\npath = \"gone/.env\"\nreason = \"\"\n"
        );
        let b = Baseline::parse(&file, text.as_bytes()).unwrap();
        assert_eq!(b.render(), text);
        let judged = b.judge(vec![finding("a/.env"), finding("./b/.env")]);
        assert_eq!(judged.accepted.len(), 1);
        assert_eq!(judged.accepted[0].1, "test fixture");
        assert_eq!(judged.new.len(), 1);
        assert_eq!(judged.stale.len(), 1);
        assert_eq!(judged.stale[0].key.path, "gone/.env");
        let next = b.updated(&[
            finding("./a/.env"),
            finding(&dir.join("b/.env").to_string_lossy()),
        ]);
        let keys: Vec<_> = next.entries().map(|e| (e.key.path, e.reason)).collect();
        assert_eq!(
            keys,
            [
                ("a/.env".into(), "test fixture".into()),
                ("b/.env".into(), String::new())
            ]
        );
    }

    #[test]
    fn bad_input_names_line_and_column() {
        let e = Baseline::parse(
            Path::new("b.toml"),
            b"[[accepted]]\nrule = \"SA001\"\npaht = \"x\"\n",
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("b.toml:3:1: "), "{e}");
        let e = Baseline::parse(Path::new("b.toml"), b"# x\n\xff").unwrap_err();
        assert_eq!(e.to_string(), "b.toml:2:1: not UTF-8");
    }

    #[test]
    fn quoting_round_trips() {
        let mut b = Baseline::empty(Path::new("x.toml"));
        let key = Key {
            rule: "SA001".into(),
            path: "we\"ird\\\n\u{7f}é".into(),
            fingerprint: String::new(),
        };
        b.entries.insert(key, "a \"reason\"\ttab".into());
        let again = Baseline::parse(Path::new("x.toml"), b.render().as_bytes()).unwrap();
        assert_eq!(again, b);
        assert_eq!(again.render(), b.render());
    }
}

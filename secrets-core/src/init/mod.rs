//! `secrets init`: a manifest from the env template a stack already ships
//! (`.env.example`), and the `.env` laid out like that template.
//!
//! Every variable of the template, active or only shown in a comment
//! (`# NAME=value`), is one of:
//! - a **secret**, generated: its kind from the catalog, else a format the
//!   template states in a comment (`openssl rand -hex 32`, "must be 32
//!   characters", "use only A-Za-z0-9"), else its name (`*_PASSWORD`,
//!   `*_SECRET`, `*_KEY`, `*_TOKEN`, `*_SALT`, `SECRET_KEY_BASE`) and the
//!   shape of its placeholder or sample;
//! - **derived**: a template (`${OTHER}` in the value, or another
//!   variable's value as the password of a URL), a signed token, a public
//!   key, or `same_as` where the consumer needs one value (the template's
//!   words, a compose file or the name say so: equal placeholders do not);
//! - **external**: a third party's credential or the operator's identity
//!   (SMTP, OAuth, cloud keys, Stripe, OpenAI, a Sentry DSN, an admin
//!   e-mail), left for the operator;
//! - a **setting**: the template's value, kept byte for byte.
//!
//! Each entry of the manifest says why; what rests on a guess is listed as
//! uncertain.
//!
//! The evidence, strongest first, and a weaker source never overrides a
//! stronger one:
//! 1. **the compose files**: what each service receives, through which
//!    variable, and which image runs it. `KEY: ${OTHER}` makes KEY
//!    `same_as` OTHER whatever the catalog says of either; a value handed
//!    to a known server (postgres, mysql, mariadb, mongo, rabbitmq,
//!    grafana, pgadmin, redis, minio, meilisearch) under a variable its
//!    catalog entry generates is a secret in that entry's format and
//!    rotation class (`stored` for what the server keeps from its first
//!    start); a secret-named value handed to programs of two origins (or
//!    to one server that is not the stack's own program) is the stack's,
//!    never a provider's; an empty password of a bundled Redis that runs
//!    without `requirepass` stays empty;
//! 2. **the template's comments**: a generator, an exact or minimum
//!    length, a character class ("letters and numbers", "must contain a
//!    symbol"), "same as";
//! 3. **the catalog**;
//! 4. **the name**, and the account beside it (`FOO_APP_SECRET` next to an
//!    empty `FOO_APP_ID` is a provider's);
//! 5. **the placeholder's shape**. A placeholder (`PLEASE CHANGE ME`, a
//!    published demo value) is never kept as a setting.
//!
//! What rests on 4 or 5 alone is marked uncertain, with the reason.
//!
//! The stack's name: `--name`, else the compose file's `name:`, else the
//! directory of the first compose file (what Docker Compose names the
//! project after), else the template's directory; the CLI says which.
//!
//! The inference ([`infer`], [`infer_files`]) needs the `init` feature;
//! laying a `.env` out like a template ([`lay_out`], what `write
//! --template` does) is always there.

#[cfg(feature = "init")]
mod classify;
#[cfg(feature = "init")]
mod compose;
#[cfg(feature = "init")]
mod hints;
// Also how `compose` finds the variables a service interpolates.
#[cfg(any(feature = "init", feature = "rotate"))]
#[cfg_attr(not(feature = "init"), allow(dead_code))]
pub(crate) mod interp;
mod layout;
#[cfg(feature = "init")]
mod names;
#[cfg(feature = "init")]
mod render;
mod scan;
#[cfg(feature = "init")]
mod url;

use std::path::{Path, PathBuf};

#[cfg(feature = "init")]
pub use compose::ComposeInput;
pub use layout::{lay_out, LaidOut, LayoutError};

#[cfg(feature = "init")]
use crate::manifest::{Source, VarDef};
#[cfg(feature = "init")]
use crate::safe_fs::read_named;
use crate::safe_fs::{limits, FsError};

#[cfg(feature = "init")]
/// What a variable is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// Generated.
    Secret,
    /// Computed from other variables.
    Derived,
    /// Supplied by the operator.
    External,
    /// Kept as the template writes it.
    Setting,
}

#[cfg(feature = "init")]
impl Class {
    /// The lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Class::Secret => "secret",
            Class::Derived => "derived",
            Class::External => "external",
            Class::Setting => "setting",
        }
    }
}

#[cfg(feature = "init")]
/// One variable of the template, as the manifest describes it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The variable.
    pub name: String,
    /// Its line in the template; `None` for one only a compose file reads.
    pub line: Option<usize>,
    /// Only shown in a comment of the template (`# NAME=value`): described
    /// in the manifest as a comment, not managed.
    pub commented: bool,
    /// What it is.
    pub class: Class,
    /// Where its value comes from (a setting's `Literal` is the template's
    /// value).
    pub source: Source,
    /// Why, in a few words.
    pub why: String,
    /// What rests on a guess, when something does.
    pub uncertain: Option<String>,
    /// The catalog definition it follows (its description, rotation period...).
    pub(crate) catalog: Option<VarDef>,
    /// What rotating it takes (`rotation = "..."` in the manifest), when
    /// the compose file, the catalog or the name says.
    pub rotation: Option<crate::rotate::class::RotationClass>,
    /// Kept empty because this compose service runs without a password.
    pub runs_without_auth: Option<String>,
    /// An external a compose service reads with no default: the stack
    /// needs it (the others are integrations, off while empty).
    pub required: bool,
}

#[cfg(feature = "init")]
/// A variable a compose file reads and the template lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Added {
    /// The variable.
    pub name: String,
    /// The compose file and line that read it.
    pub file: String,
    /// 1-based line.
    pub line: usize,
}

#[cfg(feature = "init")]
/// What `init` found.
#[derive(Debug)]
pub struct Inferred {
    /// The manifest's text.
    pub manifest: String,
    /// Every variable, in template order; those only compose files read last.
    pub entries: Vec<Entry>,
    /// Variables compose files read that the template lacks (in `entries` too).
    pub added: Vec<Added>,
    /// Active template variables that no compose service reads (only with
    /// compose files, and none reading the template whole by `env_file:`).
    pub unread: Vec<String>,
    /// The compose services that read the template whole (`env_file:`).
    pub env_file_readers: Vec<String>,
    /// The stack's name in the manifest, and where it comes from.
    pub stack_name: Option<(String, String)>,
    /// Some anchors merged into compose services were not read (a file
    /// merging more than a few times its own size): what they pass is
    /// missing from the evidence.
    pub compose_truncated: bool,
}

#[cfg(feature = "init")]
/// How many of each class, counting only the variables the manifest manages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Generated.
    pub secrets: usize,
    /// Computed.
    pub derived: usize,
    /// The operator's.
    pub external: usize,
    /// Kept as written.
    pub settings: usize,
    /// Only in comments of the template, described but not managed.
    pub commented: usize,
    /// Resting on a guess (commented ones included).
    pub uncertain: usize,
}

#[cfg(feature = "init")]
impl Inferred {
    /// The counts for the closing line.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for e in &self.entries {
            if e.uncertain.is_some() {
                s.uncertain += 1;
            }
            if e.commented {
                s.commented += 1;
                continue;
            }
            match e.class {
                Class::Secret => s.secrets += 1,
                Class::Derived => s.derived += 1,
                Class::External => s.external += 1,
                Class::Setting => s.settings += 1,
            }
        }
        s
    }
}

/// A template or compose file that cannot be used. One line, with the
/// place; never a value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// Not what Docker Compose reads (an unterminated quote, invalid UTF-8).
    #[error("{file}:{line}:{col}: {message}")]
    Syntax {
        /// The template.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// What is wrong.
        message: String,
    },
    /// A key assigned twice.
    #[error("{file}:{line}: {message}")]
    Duplicate {
        /// The template.
        file: String,
        /// The line of the second assignment.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read.
    #[error(transparent)]
    Read(#[from] FsError),
    /// The template `write --template` reads is controlled by another user.
    #[error("{} (the template decides what the .env holds besides its secrets, so it must be controlled by root or you alone)", crate::one_line(.0))]
    Untrusted(FsError),
    /// A file does not exist.
    #[error("{}: no such file", .0.display())]
    Missing(PathBuf),
    /// A compose file is not UTF-8.
    #[error("{}: not valid UTF-8", .0.display())]
    NotText(PathBuf),
}

#[cfg(feature = "init")]
/// Reads a template (a regular file within the `.env` size limit).
pub fn read_template(path: &Path) -> Result<crate::SecretBytes, InitError> {
    read_named(path, limits::ENV)?.ok_or_else(|| InitError::Missing(path.to_owned()))
}

/// Reads the template `write --template` lays a `.env` out from. Its
/// settings and comments go into the file as they are, so it is read as
/// the manifest is ([`crate::safe_fs::read_trusted`]).
pub fn read_trusted_template(path: &Path) -> Result<crate::SecretBytes, InitError> {
    crate::safe_fs::read_trusted(path, limits::ENV)
        .map_err(InitError::Untrusted)?
        .ok_or_else(|| InitError::Missing(path.to_owned()))
}

#[cfg(feature = "init")]
/// `init` on files: the template at `from`, and compose files.
pub fn infer_files(
    from: &Path,
    compose: &[PathBuf],
    name: Option<&str>,
) -> Result<Inferred, InitError> {
    let template = read_template(from)?;
    let mut texts = Vec::new();
    for path in compose {
        let bytes =
            read_named(path, limits::COMPOSE)?.ok_or_else(|| InitError::Missing(path.clone()))?;
        let text =
            String::from_utf8(bytes.to_vec()).map_err(|_| InitError::NotText(path.clone()))?;
        texts.push((path.display().to_string(), text));
    }
    let inputs: Vec<ComposeInput<'_>> = texts
        .iter()
        .map(|(name, text)| ComposeInput { name, text })
        .collect();
    // Docker Compose names a project after the directory of its first
    // file; the template's directory is the last resort.
    let dir_of = |p: &Path| {
        std::fs::canonicalize(p)
            .ok()?
            .parent()?
            .file_name()?
            .to_str()
            .map(str::to_owned)
    };
    let fallback = compose
        .first()
        .and_then(|c| Some((dir_of(c)?, format!("the directory of {}", c.display()))))
        .or_else(|| {
            Some((
                dir_of(from)?,
                format!("the directory of {}", from.display()),
            ))
        });
    infer_named(
        &from.display().to_string(),
        &template,
        &inputs,
        name.map(|n| (n.to_owned(), "--name".to_owned())),
        fallback,
    )
}

#[cfg(feature = "init")]
/// `init`: the manifest describing the template `bytes` (named `file` in
/// messages), with what `compose` files read.
pub fn infer(
    file: &str,
    bytes: &[u8],
    compose: &[ComposeInput<'_>],
    stack_name: Option<&str>,
) -> Result<Inferred, InitError> {
    let given = stack_name.map(|n| (n.to_owned(), "given".to_owned()));
    infer_named(file, bytes, compose, given, None)
}

#[cfg(feature = "init")]
/// `infer` with the stack's name chosen: `given` first, then a compose
/// file's `name:`, then `fallback`; each with where it comes from.
fn infer_named(
    file: &str,
    bytes: &[u8],
    compose: &[ComposeInput<'_>],
    given: Option<(String, String)>,
    fallback: Option<(String, String)>,
) -> Result<Inferred, InitError> {
    let (_, vars) = scan::scan(file, bytes)?;
    let reads = (!compose.is_empty()).then(|| compose::read(compose, file));
    let mut added = Vec::new();
    let mut added_vars = Vec::new();
    if let Some(r) = &reads {
        let in_template: std::collections::HashSet<&str> =
            vars.iter().map(|v| v.name.as_str()).collect();
        for (name, read) in &r.vars {
            if in_template.contains(name.as_str()) {
                continue;
            }
            added.push(Added {
                name: name.clone(),
                file: read.file.clone(),
                line: read.line,
            });
            added_vars.push(scan::TemplateVar {
                name: name.clone(),
                value: read.default.clone().unwrap_or_default(),
                interpolates: true,
                line: 0,
                commented: false,
                comments: Vec::new(),
                paragraph: usize::MAX,
            });
        }
    }
    let unread = match &reads {
        Some(r) if r.env_file.is_none() => vars
            .iter()
            .filter(|v| !v.commented && !r.vars.contains_key(&v.name))
            .map(|v| v.name.clone())
            .collect(),
        _ => Vec::new(),
    };
    let cx = classify::Context::new(&vars, &added_vars, reads.as_ref());
    let mut entries: Vec<Entry> = vars
        .iter()
        .chain(&added_vars)
        .map(|v| cx.classify(v))
        .collect();
    for (e, a) in entries.iter_mut().skip(vars.len()).zip(&added) {
        e.why = format!("{} (read by {} line {})", e.why, a.file, a.line);
        // Compose reads it with no default, and nothing gives it a value.
        let no_default = (reads.as_ref())
            .and_then(|r| r.vars.get(&a.name))
            .is_some_and(|r| r.default.is_none());
        if e.class == Class::Setting && no_default && e.uncertain.is_none() {
            e.uncertain = Some(format!(
                "{} line {} reads it with no default and the template lacks it: set it",
                a.file, a.line
            ));
        }
    }
    if let Some(r) = &reads {
        // A secret the template only shows in a comment but a compose file
        // reads: left out, the stack would run on the compose default
        // (`${APP_SECRET:-replace_me}`) or on nothing. Managed.
        for e in entries
            .iter_mut()
            .filter(|e| e.commented && e.class == Class::Secret)
        {
            if let Some(read) = r.vars.get(&e.name) {
                e.commented = false;
                let default = match &read.default {
                    Some(d) if !d.is_empty() => " over its default",
                    _ => "",
                };
                e.why = format!(
                    "{}; only in a comment of the template, but {} line {} reads it: managed{default}",
                    e.why, read.file, read.line
                );
            }
        }
        for e in entries.iter_mut().filter(|e| e.class == Class::External) {
            // `${VAR}` or `${VAR:?...}`: the service gets nothing without it.
            e.required = r
                .vars
                .get(&e.name)
                .is_some_and(|read| read.default.is_none());
        }
    }
    let stack_name = given
        .or_else(|| {
            let (n, read) = reads.as_ref()?.project_name.clone()?;
            Some((n, format!("`name:` in {} line {}", read.file, read.line)))
        })
        .or(fallback);
    let env_file_readers = reads.as_ref().map_or_else(Vec::new, |r| {
        (r.services.iter())
            .filter(|s| s.env_file)
            .map(|s| s.name.clone())
            .collect()
    });
    let manifest = render::manifest(file, stack_name.as_ref().map(|(n, _)| n.as_str()), &entries);
    Ok(Inferred {
        manifest,
        entries,
        added,
        unread,
        env_file_readers,
        stack_name,
        compose_truncated: reads.as_ref().is_some_and(|r| r.truncated),
    })
}

#[cfg(feature = "init")]
#[cfg(test)]
mod tests;

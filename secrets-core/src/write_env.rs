//! Writing or completing a `.env` from a manifest, in one call: what
//! `secrets write` does, for any deploy tool.
//!
//! The file is read, computed and replaced under the lock of a
//! [`SecureFile`], so the directory rules, the mode and the owner are those
//! of the secure writer; nothing is written when anything fails.
//!
//! ```
//! use std::os::unix::fs::DirBuilderExt;
//! use secrets_core::generate::os_rng;
//! use secrets_core::manifest::ManifestFile;
//! use secrets_core::secure_file::{SecureFile, WriteOptions};
//! use secrets_core::stack::Stack;
//! use secrets_core::write_env::{write_env, Content, WriteRequest};
//!
//! let dir = std::env::temp_dir().join(format!("write-env-doc-{}", std::process::id()));
//! std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
//! let stack = Stack::from_manifest(ManifestFile::parse(
//!     "secrets.toml",
//!     "[stack]\ninclude = [\"postgres\"]\n",
//! )?)?;
//! let request = || WriteRequest::new(Some(&stack), Content::Manifest);
//!
//! let open = || SecureFile::open(dir.join(".env"), WriteOptions::default());
//! let first = write_env(open()?, request(), &mut os_rng())?;
//! assert!(first.wrote && first.added.contains(&"POSTGRES_PASSWORD".to_owned()));
//! // Idempotent: a second run keeps every value.
//! let second = write_env(open()?, request(), &mut os_rng())?;
//! assert!(!second.wrote && second.added.is_empty());
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use rand::{CryptoRng, Rng};

use crate::check::{is_placeholder, published_default};
use crate::envfile::render::{append_vars, new_document_with_header, Disagreement, Header};
use crate::envfile::{is_dotenvx_encrypted, Document, ParseError};
use crate::init::{lay_out, LayoutError};
use crate::manifest::{Source, VarDef};
use crate::secure_file::{Change, SecureFile, WriteError};
use crate::stack::{Existing, ResolveError, Stack};
use crate::SecretValue;

/// Where the file's content comes from. `Debug` shows no content.
#[non_exhaustive]
pub enum Content {
    /// The manifest alone: a new file is generated, an existing one
    /// completed (existing bytes kept).
    Manifest,
    /// A new file laid out like this template (its comments, order and
    /// settings); an existing file is completed as with `Manifest`.
    Template {
        /// The template's name, for messages.
        name: String,
        /// Its bytes (read as safely as a manifest: its settings go into
        /// the file as they are).
        bytes: crate::SecretBytes,
    },
    /// A whole document (say, decrypted from `.env.age`): it replaces the
    /// file, completed by the manifest when there is one; what it lacks
    /// keeps the file's current value rather than a new one.
    Document(Document),
}

impl std::fmt::Debug for Content {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Content::Manifest => f.write_str("Manifest"),
            Content::Template { name, bytes } => write!(
                f,
                "Template {{ name: {name:?}, bytes: [{} bytes] }}",
                bytes.len()
            ),
            Content::Document(doc) => f.debug_tuple("Document").field(doc).finish(),
        }
    }
}

/// What to write.
#[derive(Debug)]
#[non_exhaustive]
pub struct WriteRequest<'a> {
    /// The manifest's stack; required unless the content is a document.
    pub stack: Option<&'a Stack>,
    /// The content.
    pub content: Content,
    /// Generate anew the generated variables that hold a placeholder or a
    /// published default (only before a stack's first start).
    pub replace_placeholders: bool,
    /// The time, for signed tokens and rotation stamps.
    pub now: std::time::SystemTime,
    /// The comment lines of a new file (not of a template's layout or of a
    /// completed file, whose own lines are kept).
    pub header: Header,
    /// Report what would change and change nothing: no file written, no
    /// mode or owner changed, no stale temporary removed.
    pub dry_run: bool,
}

impl<'a> WriteRequest<'a> {
    /// A request with placeholders refused and the clock's time.
    pub fn new(stack: Option<&'a Stack>, content: Content) -> Self {
        WriteRequest {
            stack,
            content,
            replace_placeholders: false,
            now: std::time::SystemTime::now(),
            header: Header::default(),
            dry_run: false,
        }
    }

    /// Reports what would change, and changes nothing.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// Starts a new file with `header` instead of the default.
    pub fn with_header(mut self, header: Header) -> Self {
        self.header = header;
        self
    }

    /// Generates anew placeholders and published defaults.
    pub fn replacing_placeholders(mut self, replace: bool) -> Self {
        self.replace_placeholders = replace;
        self
    }

    /// Sets the time.
    pub fn at(mut self, now: std::time::SystemTime) -> Self {
        self.now = now;
        self
    }
}

/// What a write did. Names, never values.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct WriteReport {
    /// A dry run: nothing was changed, `wrote` and `changes` say what would be.
    pub dry_run: bool,
    /// Whether new content was written (else only mode and owner enforced).
    pub wrote: bool,
    /// The changes to the file and its directory.
    pub changes: Vec<Change>,
    /// Variables added, computed or replaced, with how in parentheses.
    pub added: Vec<String>,
    /// External variables that still have no value.
    pub unset: Vec<String>,
    /// Values some readers will read differently.
    pub disagreements: Vec<Disagreement>,
    /// Template settings kept as written, though some readers read them
    /// differently.
    pub kept_disagreeing: Vec<Disagreement>,
    /// External variables whose template example was removed.
    pub cleared: Vec<String>,
    /// For a document: variables it lacked, kept from the file or generated.
    pub not_in_document: Vec<String>,
    /// A template was given but the file existed: it was completed instead.
    pub template_unused: bool,
}

/// A write that did not happen; the file is unchanged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteEnvError {
    /// The file could not be opened, locked, read or replaced.
    #[error(transparent)]
    File(#[from] WriteError),
    /// The existing file does not parse.
    #[error("{path}:{error}")]
    Parse {
        /// The file.
        path: String,
        /// Where and why (in the message: not a `source()` too).
        error: ParseError,
    },
    /// Generated variables hold placeholders or published defaults, which
    /// protect nothing; see [`WriteRequest::replacing_placeholders`].
    #[error("{path} holds values that protect nothing: {}", list(.keys))]
    Placeholders {
        /// The file.
        path: String,
        /// Each variable with why (`placeholder`, or the default's origin).
        keys: Vec<(String, String)>,
    },
    /// A generated or recomputed variable is assigned more than once:
    /// readers disagree on which copy is the secret.
    #[error("{path}: {duplicate}; delete the stale copies and run again")]
    Duplicate {
        /// The file.
        path: String,
        /// The key and its lines.
        duplicate: crate::envfile::Duplicate,
    },
    /// A value to compute from is dotenvx ciphertext.
    #[error("{path}: {name} is computed from {input}, which is encrypted by dotenvx: decrypt the file first (`dotenvx decrypt -f FILE`)")]
    EncryptedInput {
        /// The file.
        path: String,
        /// The variable to compute.
        name: String,
        /// The encrypted input.
        input: String,
    },
    /// The manifest's values could not be computed.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// The template could not be laid out.
    #[error(transparent)]
    Template(#[from] LayoutError),
    /// Only a document can be written without a manifest.
    #[error("a manifest is needed to write {0}")]
    NeedsManifest(String),
    /// The file does not exist.
    #[error("{0}: no such file")]
    Missing(String),
    /// Not a variable name.
    #[error("`{0}` is not a variable name (letters, digits and _, not starting with a digit)")]
    InvalidKey(String),
    /// The manifest computes this variable from others: set those instead.
    #[error("{path}: {name} is computed from {} by the manifest; set that instead", inputs.join(", "))]
    Computed {
        /// The file.
        path: String,
        /// The variable.
        name: String,
        /// What it is computed from.
        inputs: Vec<String>,
    },
    /// A value its server keeps a copy of (`stored`): setting it in the file
    /// alone would lock its clients out.
    #[error("{path}: {name} is stored by its server ({class_source}): change it there first (a rotation with a live step does both where one exists), then say the server has it (`SetRequest::server_changed`)")]
    Stored {
        /// The file.
        path: String,
        /// The variable.
        name: String,
        /// Where its class comes from.
        class_source: String,
    },
    /// A key that encrypts data at rest (`data-key`): a new value makes that
    /// data unreadable.
    #[error("{path}: {name} encrypts data at rest ({class_source}): a new value makes that data unreadable; re-encrypt or export it first, then accept the loss (`SetRequest::accepting_data_loss`)")]
    DataKey {
        /// The file.
        path: String,
        /// The variable.
        name: String,
        /// Where its class comes from.
        class_source: String,
    },
    /// The new value breaks a check rule of medium or high severity; nothing was written.
    #[error("{path}: the value for {name} is refused: {}", reasons.join("; "))]
    Rejected {
        /// The file.
        path: String,
        /// The variable.
        name: String,
        /// The rules' messages (they name keys, never values).
        reasons: Vec<String>,
    },
}

fn list(keys: &[(String, String)]) -> String {
    let items: Vec<String> = keys.iter().map(|(k, why)| format!("{k} ({why})")).collect();
    items.join(", ")
}

/// Writes or completes the file under its lock; see the module docs.
pub fn write_env<R: Rng + CryptoRng + ?Sized>(
    file: SecureFile,
    request: WriteRequest<'_>,
    rng: &mut R,
) -> Result<WriteReport, WriteEnvError> {
    let dry_run = request.dry_run;
    let mut report = WriteReport {
        dry_run,
        changes: file.created_directory().into_iter().collect(),
        ..WriteReport::default()
    };
    let locked = match dry_run {
        true => file.lock_to_inspect()?,
        false => file.lock()?,
    };
    let path = locked.path().display().to_string();
    let now = request.now;
    let header = request.header;
    let current = locked.read()?;
    let stack = request.stack;
    let needs_stack = || stack.ok_or_else(|| WriteEnvError::NeedsManifest(path.clone()));

    let doc = match (request.content, current) {
        (Content::Document(mut doc), current) => {
            let target = current.as_deref().and_then(|c| Document::parse(c).ok());
            if let Some(stack) = stack {
                let done = complete(
                    &mut doc,
                    stack,
                    target.as_ref(),
                    Edits::default(),
                    &path,
                    rng,
                    now,
                )?;
                report.not_in_document = done.added.clone();
                report.disagreements = done.disagreements;
                report.unset = done.unset;
                report.added = done.added;
            }
            let changed = current.is_none_or(|c| c.as_slice() != doc.render().as_bytes());
            if !changed {
                report.added.clear();
            }
            changed.then_some(doc)
        }
        (Content::Template { name, bytes }, None) => {
            let laid = lay_out(&name, &bytes, needs_stack()?, rng, now)?;
            report.added = laid.generated;
            report
                .added
                .extend(laid.computed.into_iter().map(|n| format!("{n} (computed)")));
            report.added.extend(
                laid.appended
                    .into_iter()
                    .map(|n| format!("{n} (not in the template)")),
            );
            report.kept_disagreeing = laid.kept_disagreeing;
            report.cleared = laid.cleared;
            report.disagreements = laid.disagreements;
            report.unset = laid.unset;
            Some(laid.doc)
        }
        (Content::Manifest, None) => {
            let stack = needs_stack()?;
            let resolved = stack.resolve(&Existing::new(), rng, now)?;
            let (doc, disagreements) = new_document_with_header(stack, &resolved, now, header);
            report.added = resolved.added;
            report.unset = resolved.missing_external;
            report.disagreements = disagreements;
            Some(doc)
        }
        (content, Some(bytes)) => {
            let stack = needs_stack()?;
            report.template_unused = matches!(content, Content::Template { .. });
            let mut doc = Document::parse(&bytes).map_err(|error| WriteEnvError::Parse {
                path: path.clone(),
                error,
            })?;
            let stale = placeholders(&doc, stack);
            if !stale.is_empty() && !request.replace_placeholders {
                return Err(WriteEnvError::Placeholders { path, keys: stale });
            }
            let replaced: Vec<&str> = stale.iter().map(|(n, _)| n.as_str()).collect();
            let done = complete(
                &mut doc,
                stack,
                None,
                Edits {
                    replaced: &replaced,
                    changed: &[],
                },
                &path,
                rng,
                now,
            )?;
            report.disagreements = done.disagreements;
            report.unset = done.unset;
            report.added = done.added;
            (!report.added.is_empty()).then_some(doc)
        }
    };
    report.wrote = doc.is_some();
    match doc {
        Some(_) if dry_run => report.changes.extend(locked.planned_replace()?),
        None if dry_run => report.changes.extend(locked.planned_enforce()?),
        Some(doc) => report
            .changes
            .push(locked.replace(doc.render().as_bytes())?),
        None => report.changes.extend(locked.enforce()?),
    }
    Ok(report)
}

/// One variable's new value, chosen by the caller (`secrets set`).
#[non_exhaustive]
pub struct SetRequest<'a> {
    /// The manifest's stack: what is derived from the variable is
    /// recomputed, and its kind's rules apply.
    pub stack: Option<&'a Stack>,
    /// The variable.
    pub key: String,
    /// Its new value.
    pub value: SecretValue,
    /// The time, for the `# rotated:` stamp and the rules.
    pub now: std::time::SystemTime,
    /// A `stored` value (its server keeps its own copy) was already changed
    /// in its server: without this, setting one is refused.
    pub server_changed: bool,
    /// The data a `data-key` value encrypted may become unreadable: without
    /// this, setting one is refused.
    pub accept_data_loss: bool,
    /// Report what would change and change nothing.
    pub dry_run: bool,
}

impl std::fmt::Debug for SetRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetRequest")
            .field("key", &self.key)
            .field("value", &self.value)
            .finish_non_exhaustive()
    }
}

impl<'a> SetRequest<'a> {
    /// Sets `key` to `value`, at the clock's time.
    pub fn new(stack: Option<&'a Stack>, key: impl Into<String>, value: SecretValue) -> Self {
        SetRequest {
            stack,
            key: key.into(),
            value,
            now: std::time::SystemTime::now(),
            server_changed: false,
            accept_data_loss: false,
            dry_run: false,
        }
    }

    /// Reports what would change, and changes nothing.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// Sets the time.
    pub fn at(mut self, now: std::time::SystemTime) -> Self {
        self.now = now;
        self
    }

    /// Says that a `stored` value was already changed in its server.
    pub fn server_changed(mut self, changed: bool) -> Self {
        self.server_changed = changed;
        self
    }

    /// Accepts that data a `data-key` value encrypted becomes unreadable.
    pub fn accepting_data_loss(mut self, accept: bool) -> Self {
        self.accept_data_loss = accept;
        self
    }
}

/// What [`set_value`] did. Names, never values.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct SetReport {
    /// A dry run: nothing was changed, `wrote` and `changes` say what would be.
    pub dry_run: bool,
    /// Whether the file changed (false: it already held this value; only
    /// its mode and owner were enforced).
    pub wrote: bool,
    /// Whether the variable was new to the file (appended).
    pub appended: bool,
    /// Variables derived from it, recomputed.
    pub recomputed: Vec<String>,
    /// The changes to the file and its directory.
    pub changes: Vec<Change>,
    /// Readers that will read the value differently.
    pub disagreements: Vec<Disagreement>,
    /// Low-severity findings of the check rules on the new value, one line
    /// each (medium and high ones refuse it).
    pub warnings: Vec<String>,
    /// What the new value breaks outside the stack (an `issued` value's
    /// copies), when it does.
    pub breaks: Option<&'static str>,
}

/// Sets one variable of the file under its lock, through the secure writer
/// (its directory rules, mode and owner), recomputing what the manifest
/// derives from it and stamping `# rotated:` when the variable has a stamp
/// or a rotation period. The value must pass the check rules that concern
/// it at medium or high severity (its kind's format, placeholders, guessable or
/// published values); otherwise nothing is written.
///
/// ```
/// use std::os::unix::fs::DirBuilderExt;
/// use secrets_core::generate::os_rng;
/// use secrets_core::secure_file::{SecureFile, WriteOptions};
/// use secrets_core::write_env::{set_value, SetRequest, WriteEnvError};
/// use secrets_core::SecretValue;
///
/// let dir = std::env::temp_dir().join(format!("set-value-doc-{}", std::process::id()));
/// std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
/// let open = || SecureFile::open(dir.join(".env"), WriteOptions::default());
/// let strong = SecretValue::new("Vv4tQn7ZkLp2Rw9XsB3mK8cY1dH6jN0qT5eA".into());
/// let report = set_value(open()?, SetRequest::new(None, "API_TOKEN", strong), &mut os_rng())?;
/// assert!(report.wrote && report.appended);
/// // A guessable value is refused, and the file keeps the strong one.
/// let weak = SetRequest::new(None, "API_TOKEN", SecretValue::new("password123".into()));
/// assert!(matches!(set_value(open()?, weak, &mut os_rng()), Err(WriteEnvError::Rejected { .. })));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "check")]
pub fn set_value<R: Rng + CryptoRng + ?Sized>(
    file: SecureFile,
    request: SetRequest<'_>,
    rng: &mut R,
) -> Result<SetReport, WriteEnvError> {
    use crate::check::{check_env, EnvContext, Severity};
    use crate::rotate::RotationClass;
    let dry_run = request.dry_run;
    let mut report = SetReport {
        dry_run,
        changes: file.created_directory().into_iter().collect(),
        ..SetReport::default()
    };
    let locked = match dry_run {
        true => file.lock_to_inspect()?,
        false => file.lock()?,
    };
    let path = locked.path().display().to_string();
    let current = locked.read()?;
    let mut doc = match &current {
        Some(bytes) => Document::parse(bytes).map_err(|error| WriteEnvError::Parse {
            path: path.clone(),
            error,
        })?,
        None => Document::parse(b"").expect("an empty document parses"),
    };
    let key = request.key.as_str();
    if let Some(duplicate) = doc.duplicate(key) {
        return Err(WriteEnvError::Duplicate { path, duplicate });
    }
    let var = request.stack.and_then(|s| s.var(key));
    // What the value protects decides whether the file alone may change.
    let classified = crate::rotate::class_of(var);
    match classified.class {
        RotationClass::Stored if !request.server_changed => {
            return Err(WriteEnvError::Stored {
                path,
                name: key.to_owned(),
                class_source: classified.source.to_string(),
            })
        }
        RotationClass::DataKey if !request.accept_data_loss => {
            return Err(WriteEnvError::DataKey {
                path,
                name: key.to_owned(),
                class_source: classified.source.to_string(),
            })
        }
        RotationClass::Issued => report.breaks = Some(RotationClass::Issued.meaning()),
        _ => {}
    }
    if let Some(v) = var {
        if is_derived(&v) {
            return Err(WriteEnvError::Computed {
                path,
                name: key.to_owned(),
                inputs: v.source.inputs().iter().map(|i| (*i).to_owned()).collect(),
            });
        }
    }
    if doc
        .get(key)
        .is_some_and(|old| old.expose() == request.value.expose())
    {
        report.changes.extend(match dry_run {
            true => locked.planned_enforce()?,
            false => locked.enforce()?,
        });
        return Ok(report);
    }
    report.appended = doc.get(key).is_none();
    report.disagreements = match doc.set(key, &request.value) {
        Ok(readers) if readers.is_empty() => Vec::new(),
        Ok(readers) => vec![Disagreement {
            name: key.to_owned(),
            readers,
        }],
        Err(_) => return Err(WriteEnvError::InvalidKey(key.to_owned())),
    };
    if let Some(stack) = request.stack {
        let done = complete(
            &mut doc,
            stack,
            None,
            Edits {
                replaced: &[],
                changed: &[key],
            },
            &path,
            rng,
            request.now,
        )?;
        report.disagreements.extend(done.disagreements);
        report.recomputed = done.added;
    }
    let period = request
        .stack
        .and_then(|s| s.var(key))
        .and_then(|v| v.rotate_after);
    let stamped = [crate::rotate::STAMP_TAG, crate::rotate::GENERATED_TAG]
        .into_iter()
        .any(|tag| doc.tag_above(key, tag).is_some());
    if period.is_some() || stamped {
        crate::rotate::stamp_rotated(&mut doc, key, request.now);
    }
    let findings = check_env(&EnvContext {
        path: locked.path(),
        doc: &doc,
        stack: request.stack,
        example: None,
        example_path: None,
        now: request.now,
    });
    let (refusing, warnings): (Vec<_>, Vec<_>) = findings
        .into_iter()
        .filter(|f| f.key.as_deref() == Some(key))
        .partition(|f| f.severity >= Severity::Medium);
    if !refusing.is_empty() {
        return Err(WriteEnvError::Rejected {
            path,
            name: key.to_owned(),
            reasons: refusing.into_iter().map(|f| f.message).collect(),
        });
    }
    report.warnings = warnings.into_iter().map(|f| f.message).collect();
    match dry_run {
        true => report.changes.extend(locked.planned_replace()?),
        false => report
            .changes
            .push(locked.replace(doc.render().as_bytes())?),
    }
    report.wrote = true;
    Ok(report)
}

/// The value of `key` in the `.env` at `path`, read with
/// [`crate::secure_file::read_held`] (in a directory nobody but root, the
/// caller and the file's owner can change; its type, links and size
/// checked on the opened handle). `None` when
/// the file has no such variable; an error when the file is missing or
/// does not parse.
pub fn get_value(path: &std::path::Path, key: &str) -> Result<Option<SecretValue>, WriteEnvError> {
    let shown = path.display().to_string();
    let bytes = crate::secure_file::read_held(path, crate::safe_fs::limits::ENV)?
        .ok_or_else(|| WriteEnvError::Missing(shown.clone()))?;
    let doc = Document::parse(&bytes).map_err(|error| WriteEnvError::Parse {
        path: shown.clone(),
        error,
    })?;
    if let Some(duplicate) = doc.duplicate(key) {
        return Err(WriteEnvError::Duplicate {
            path: shown,
            duplicate,
        });
    }
    Ok(doc.get(key).cloned())
}

/// Generated variables still holding a placeholder or a published default.
fn placeholders(doc: &Document, stack: &Stack) -> Vec<(String, String)> {
    stack
        .vars()
        .iter()
        .filter(|v| matches!(v.source, Source::Generate(_)))
        .filter_map(|v| {
            let value = doc.get(&v.name)?.expose();
            let why = if is_placeholder(value) {
                "placeholder"
            } else {
                published_default(value)?
            };
            Some((v.name.clone(), why.to_owned()))
        })
        .collect()
}

/// Refuses a file whose generated keys are assigned twice (Compose reads
/// the last copy, dotenvy the first: which one is the secret?), or whose
/// values to compute from are dotenvx ciphertext.
fn refuse_unsafe_edits(
    doc: &Document,
    stack: &Stack,
    waiting: &[&str],
    path: &str,
) -> Result<(), WriteEnvError> {
    for v in stack.vars() {
        let edited = matches!(v.source, Source::Generate(_)) || waiting.contains(&v.name.as_str());
        if let Some(duplicate) = doc.duplicate(&v.name).filter(|_| edited) {
            return Err(WriteEnvError::Duplicate {
                path: path.to_owned(),
                duplicate,
            });
        }
    }
    for v in stack.vars() {
        if !(waiting.contains(&v.name.as_str()) || doc.get(&v.name).is_none()) {
            continue;
        }
        if let Some(input) = v
            .source
            .inputs()
            .into_iter()
            .find(|i| doc.get(i).is_some_and(|x| is_dotenvx_encrypted(x.expose())))
        {
            return Err(WriteEnvError::EncryptedInput {
                path: path.to_owned(),
                name: v.name.clone(),
                input: input.to_owned(),
            });
        }
    }
    Ok(())
}

/// What the caller changed before a document is completed (see [`complete`]).
#[derive(Default, Clone, Copy)]
struct Edits<'a> {
    replaced: &'a [&'a str],
    changed: &'a [&'a str],
}

/// What completing a document with the manifest did.
#[derive(Default)]
struct Completion {
    disagreements: Vec<Disagreement>,
    added: Vec<String>,
    unset: Vec<String>,
}

fn is_derived(v: &&VarDef) -> bool {
    matches!(
        v.source,
        Source::Template(_) | Source::SameAs(_) | Source::Derive { .. }
    )
}

/// Completes `doc` with the manifest: derived values written empty (an
/// input was not set yet) are computed when their inputs allow, and
/// variables not in the file are appended (external ones empty, once, so
/// the operator sees what to fill in). Existing bytes are kept. A variable
/// not in `doc` takes its value from `fallback` when it is there.
///
/// `replaced` are generated variables whose placeholder is to be replaced:
/// they are generated anew, and what is derived from them recomputed.
/// `changed` are variables the caller gave a new value: kept as they are,
/// and what is derived from them recomputed.
fn complete<R: Rng + CryptoRng + ?Sized>(
    doc: &mut Document,
    stack: &Stack,
    fallback: Option<&Document>,
    edits: Edits<'_>,
    path: &str,
    rng: &mut R,
    now: std::time::SystemTime,
) -> Result<Completion, WriteEnvError> {
    let Edits { replaced, changed } = edits;
    let mut waiting: Vec<&str> = replaced.to_vec();
    waiting.extend(
        stack
            .vars()
            .iter()
            .filter(is_derived)
            .filter(|v| doc.get(&v.name).is_some_and(SecretValue::is_empty))
            .map(|v| v.name.as_str()),
    );
    loop {
        let more: Vec<&str> = stack
            .vars()
            .iter()
            .filter(is_derived)
            .filter(|v| !waiting.contains(&v.name.as_str()) && doc.get(&v.name).is_some())
            .filter(|v| {
                let inputs = v.source.inputs();
                inputs
                    .iter()
                    .any(|i| waiting.contains(i) || changed.contains(i))
            })
            .map(|v| v.name.as_str())
            .collect();
        if more.is_empty() {
            break;
        }
        waiting.extend(more);
    }
    refuse_unsafe_edits(doc, stack, &waiting, path)?;
    let existing: Existing = stack
        .vars()
        .iter()
        .filter(|v| !waiting.contains(&v.name.as_str()))
        .filter_map(|v| {
            doc.get(&v.name)
                .or_else(|| fallback.and_then(|f| f.get(&v.name)))
                .map(|value| (v.name.clone(), value.clone()))
        })
        .collect();
    let resolved = stack.resolve(&existing, rng, now)?;
    let mut done = Completion::default();
    for name in &waiting {
        if let Some(value) = resolved.values.get(*name) {
            let readers = doc.set_var(name, value);
            if !readers.is_empty() {
                done.disagreements.push(Disagreement {
                    name: (*name).to_owned(),
                    readers,
                });
            }
            let how = if replaced.contains(name) {
                "replaced placeholder"
            } else {
                "computed"
            };
            done.added.push(format!("{name} ({how})"));
        }
    }
    let to_append: Vec<&str> = stack
        .vars()
        .iter()
        .map(|v| v.name.as_str())
        .filter(|n| doc.get(n).is_none())
        .collect();
    done.disagreements
        .extend(append_vars(doc, stack, &resolved, &to_append, now));
    done.added.extend(to_append.iter().map(|n| (*n).to_owned()));
    done.unset = stack
        .vars()
        .iter()
        .filter(|v| matches!(v.source, Source::External))
        .filter(|v| doc.get(&v.name).is_none_or(SecretValue::is_empty))
        .map(|v| v.name.clone())
        .collect();
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::ManifestFile;
    use crate::secure_file::WriteOptions;

    #[test]
    fn a_new_file_takes_the_header_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let stack = Stack::from_manifest(
            ManifestFile::parse("m.toml", "[vars.A]\nvalue = \"x\"\n").unwrap(),
        )
        .unwrap();
        for (name, header, first_line) in [
            (
                "default.env",
                None,
                "# Secrets of stack \"m\", written by secrets ",
            ),
            (
                "anonymous.env",
                Some(Header::Anonymous),
                "# Secrets of stack \"m\".\n",
            ),
            ("none.env", Some(Header::None), "# --- m ---\nA=x\n"),
        ] {
            let path = dir.path().join(name);
            let file = SecureFile::open(&path, WriteOptions::default()).unwrap();
            let mut request = WriteRequest::new(Some(&stack), Content::Manifest);
            if let Some(h) = header {
                request = request.with_header(h);
            }
            write_env(file, request, &mut crate::generate::os_rng()).unwrap();
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(text.starts_with(first_line), "{name}: {text}");
        }
    }
}

//! The manifest (`secrets.toml`) and the built-in catalog: which variables a
//! stack has and where each value comes from.
//!
//! Catalog components are written in the same format, with a `[component]`
//! table where a manifest has `[stack]`.

pub mod catalog;
mod live_command;
pub mod template;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{Map, Value};
use toml::Spanned;

use crate::generate::{Alphabet, Derivation, JwtAlg, Kind};
use crate::rotate::class::{DeclaredClass, RotationClass};
pub use live_command::LiveCommand;
pub use template::{Escape, Template};

/// A place in a manifest or catalog file, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file as the user named it (catalog files are `<catalog>/NAME.toml`).
    pub file: Arc<str>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
}

impl Origin {
    /// The file name of [`Origin::argument`].
    const ARGUMENT: &'static str = "<argument>";

    /// Names given by the caller directly rather than in a file (the
    /// components of [`Stack::from_components`](crate::stack::Stack::from_components)).
    pub fn argument() -> Self {
        Origin {
            file: Self::ARGUMENT.into(),
            line: 1,
            col: 1,
        }
    }

    /// Whether this is [`Origin::argument`]: the caller knows better how to
    /// name the place.
    pub fn is_argument(&self) -> bool {
        &*self.file == Self::ARGUMENT
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// A manifest that cannot be used. `Display` is one line:
/// `FILE:LINE:COL: message`, and never holds a secret value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// The file could not be read.
    #[error("{path}: cannot read the manifest")]
    Read {
        /// The manifest path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The manifest could not be read safely: it, or a directory above it,
    /// is controlled by another user, or it is not a regular file within
    /// the size limit.
    // `error` is the message, with its own cause, rather than a source: the
    // hint belongs after it.
    #[error("{} (a manifest decides owners, modes and database roles, so it must be controlled by root or you alone)", crate::one_line(.error))]
    Untrusted {
        /// The manifest.
        path: PathBuf,
        /// Why.
        error: crate::safe_fs::FsError,
    },
    /// Not TOML, or TOML of the wrong shape (an unknown field, a value of
    /// the wrong type, both `[stack]` and `[component]`).
    #[error("{origin}: {message}")]
    Syntax {
        /// Where.
        origin: Origin,
        /// The parser's one-line message (never the source line).
        message: String,
    },
    /// A `[vars.NAME]` key that is not a portable variable name.
    #[error(
        "{origin}: `{name}` is not a variable name (A-Z, a-z, 0-9, _; not starting with a digit)"
    )]
    InvalidName {
        /// Where.
        origin: Origin,
        /// The key as written.
        name: String,
    },
    /// A variable with no source (`kind`, `value`, `same_as`, `template`,
    /// `external = true`).
    #[error("{origin}: `{variable}` needs one of `kind`, `value`, `same_as`, `template` or `external = true`")]
    NoSource {
        /// Where.
        origin: Origin,
        /// The variable.
        variable: String,
    },
    /// A variable with more than one source.
    #[error("{origin}: `{variable}` has both `{first}` and `{second}`; a variable has exactly one source")]
    TwoSources {
        /// Where the second one is.
        origin: Origin,
        /// The variable.
        variable: String,
        /// The first source field.
        first: &'static str,
        /// The second source field.
        second: &'static str,
    },
    /// A derived kind (`jwt`, `vapid-public-key`) without `from`.
    #[error("{origin}: kind `{kind}` is computed from another variable: add `from = \"NAME\"`")]
    MissingFrom {
        /// Where the kind is.
        origin: Origin,
        /// The kind.
        kind: String,
    },
    /// A field whose value is not one it accepts (a length out of range,
    /// an unknown alphabet, a duration that does not parse, a malformed
    /// template).
    #[error("{origin}: {message}")]
    InvalidValue {
        /// Where the value is.
        origin: Origin,
        /// The field (`length`, `alphabet`, `template`, ...).
        field: &'static str,
        /// What is wrong, naming the field.
        message: String,
    },
    /// A kind parameter that the variable's source does not take.
    #[error("{origin}: `{field}` does not apply to {applies_to}")]
    FieldNotApplicable {
        /// Where the field is.
        origin: Origin,
        /// The field.
        field: &'static str,
        /// `kind `hex`` or `this variable`.
        applies_to: String,
    },
    /// `same_as`, `template` or `from` names a variable the stack does not
    /// define.
    #[error("{origin}: `{variable}` refers to `{reference}`, which is not defined")]
    UnknownReference {
        /// Where the reference is.
        origin: Origin,
        /// The variable that refers.
        variable: String,
        /// The missing variable.
        reference: String,
    },
    /// Variables computed from each other in a loop.
    #[error("{origin}: derivation cycle: {}", .cycle.join(" -> "))]
    DerivationCycle {
        /// Where the loop closes.
        origin: Origin,
        /// The variables, the first repeated at the end.
        cycle: Vec<String>,
    },
    /// Components including each other in a loop.
    #[error("{origin}: component include cycle: {}", .cycle.join(" -> "))]
    IncludeCycle {
        /// Where the loop closes.
        origin: Origin,
        /// The components, the first repeated at the end.
        cycle: Vec<String>,
    },
    /// Two included components define one variable.
    #[error("{origin}: `{variable}` is defined by both `{first}` and `{second}`")]
    DuplicateVariable {
        /// The second definition.
        origin: Origin,
        /// The variable.
        variable: String,
        /// The component defining it first.
        first: String,
        /// The component defining it again.
        second: String,
    },
    /// A name that is none of the known ones, with the closest known one
    /// when one is close enough to be a typo.
    #[error("{origin}: unknown {namespace} `{name}`{}", crate::suggest::did_you_mean(.suggestion))]
    Unknown {
        /// Where it was named.
        origin: Origin,
        /// What it names.
        namespace: Namespace,
        /// The name as given.
        name: String,
        /// The closest known name ([`crate::suggest::closest`]).
        suggestion: Option<String>,
    },
}

/// What kind of name an unknown name was meant to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Namespace {
    /// A catalog component (`include`).
    Component,
    /// A kind of secret (`kind =`).
    Kind,
    /// A field of a table (`[stack]`, `[vars.NAME]`).
    Field,
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Namespace::Component => "component",
            Namespace::Kind => "kind",
            Namespace::Field => "field",
        })
    }
}

/// Where a variable's value comes from.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Source {
    /// Generated fresh from randomness.
    Generate(Kind),
    /// Computed from another variable.
    Derive {
        /// How.
        derivation: Derivation,
        /// The input variable.
        from: String,
    },
    /// A fixed, non-secret value.
    Literal(String),
    /// The same value as another variable.
    SameAs(String),
    /// Built from other variables.
    Template(Template),
    /// Supplied by the operator; never invented.
    External,
}

/// As `secrets catalog` shows it ([`Source::summary`]).
impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())
    }
}

impl Source {
    /// How `secrets catalog` names it: the kind, `DERIVATION from VAR`,
    /// `literal`, `same as VAR`, `template` or `external`.
    pub fn summary(&self) -> String {
        match self {
            Source::Generate(kind) => kind.name().to_owned(),
            Source::Derive { derivation, from } => format!("{} from {from}", derivation.name()),
            Source::Literal(_) => "literal".to_owned(),
            Source::SameAs(other) => format!("same as {other}"),
            Source::Template(_) => "template".to_owned(),
            Source::External => "external".to_owned(),
        }
    }

    /// The variables this value is computed from.
    pub fn inputs(&self) -> Vec<&str> {
        match self {
            Source::Derive { from, .. } => vec![from],
            Source::SameAs(other) => vec![other],
            Source::Template(t) => t.references().collect(),
            Source::Generate(_) | Source::Literal(_) | Source::External => Vec::new(),
        }
    }

    /// Whether the value is secret (everything but literals).
    pub fn is_secret(&self) -> bool {
        !matches!(self, Source::Literal(_))
    }
}

/// One variable of a stack.
#[derive(Debug, Clone)]
pub struct VarDef {
    /// The environment variable name.
    pub name: String,
    /// The catalog component it belongs to, or the stack's name.
    pub component: String,
    /// A one-line description, written as a comment above it.
    pub description: Option<String>,
    /// Where its value comes from.
    pub source: Source,
    /// How long a generated value may live before `rotate --due` replaces it.
    pub rotate_after: Option<Duration>,
    /// Where it was defined.
    pub origin: Origin,
    /// Services that read it and must restart after it changes.
    pub services: Vec<String>,
    /// How its consumer accepts an old and a new value during a rollover
    /// (`rotate --keep-previous`), when it does.
    pub rollover: Option<String>,
    /// The variable its image reads the value's file path from
    /// (`POSTGRES_PASSWORD_FILE`, Grafana's `..__FILE`), when it has one.
    pub file_env: Option<String>,
    /// The PostgreSQL role whose password this is (`rotate --apply postgres`);
    /// `${NAME}` takes the role name from another variable.
    pub postgres_role: Option<String>,
    /// The MariaDB/MySQL accounts whose password this is (`rotate --apply
    /// mysql`): `user` (every host of that user) or `user@host`, from
    /// `mysql_user = "app"` or `["app@%", "app@localhost"]`.
    pub mysql_user: Option<Vec<String>>,
    /// The Redis ACL user whose password this is (`rotate --apply redis`), a
    /// literal user name: its password is `stored` on the server.
    pub redis_user: Option<String>,
    /// `rotation = "..."`: what the value protects, and so what rotating it
    /// takes ([`crate::rotate::class`]).
    pub rotation: Option<DeclaredClass>,
    /// `previous_keys = "NAME"`: the variable its consumer reads previous
    /// values from, comma-separated, newest first (Laravel's
    /// `APP_PREVIOUS_KEYS`); `rotate --keep-previous` keeps the old value
    /// there instead of in `NAME_PREVIOUS`.
    pub previous_keys: Option<String>,
    /// `live_command = { service, set, verify }`: the container CLI that
    /// changes the server's copy (`rotate --apply command`).
    pub live_command: Option<LiveCommand>,
    /// Where each of its references (`same_as`, `from`, template) was written.
    pub(crate) reference_origin: Option<Origin>,
}

impl VarDef {
    /// The live step that changes the server's copy of this value
    /// (`rotate --apply STEP`), when the manifest names its account:
    /// `postgres` for a `postgres_role`, `mysql` for a `mysql_user`,
    /// `redis` for a `redis_user` (the manifest allows one of them), else
    /// `command` for a `live_command`.
    pub fn live_step(&self) -> Option<&'static str> {
        if self.postgres_role.is_some() {
            Some("postgres")
        } else if self.mysql_user.is_some() {
            Some("mysql")
        } else if self.redis_user.is_some() {
            Some("redis")
        } else if self.live_command.is_some() {
            Some("command")
        } else {
            None
        }
    }
}

/// A parsed manifest or catalog file.
#[derive(Debug, Clone)]
pub struct ManifestFile {
    /// `[stack] name` or `[component]` file name.
    pub name: String,
    /// One-line description (components).
    pub description: Option<String>,
    /// Components pulled in, with where each was named.
    pub include: Vec<(String, Origin)>,
    /// Variables in file order.
    pub vars: Vec<VarDef>,
    /// `[stack] secrets_uid` and `secrets_gid`: the owner of secret files
    /// inside containers (swarm `uid=`/`gid=`, compose host files).
    pub secrets_owner: (Option<u32>, Option<u32>),
    /// `[stack] postgres_roles`: the database roles whose names may come
    /// from the `.env` (through `postgres_role = "${VAR}"`); a role named
    /// in a file the service user can edit is otherwise refused.
    pub postgres_roles: Vec<String>,
    /// `[stack] recipients`: the age or SSH public keys an encrypted `.env`
    /// is encrypted to (the age format does not record them).
    pub recipients: Vec<String>,
    /// `[stack] recipients_file`: a file of more recipients, one per line;
    /// relative to the manifest's directory once loaded.
    pub recipients_file: Option<PathBuf>,
    /// `[stack] env_files`: the `.env` files this manifest describes, paths
    /// or glob patterns (`*` stays within one directory, `**` crosses them)
    /// as written, relative to [`ManifestFile::dir`]. `audit` applies the
    /// manifest to these files only. `[".env", ".env.*"]` (the files beside
    /// the manifest) when absent.
    pub env_files: Vec<PathBuf>,
    /// The directory the manifest was loaded from (`None` for text parsed
    /// directly: the working directory).
    pub dir: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    stack: Option<RawHead>,
    component: Option<RawHead>,
    #[serde(default)]
    vars: IndexMap<Spanned<String>, Spanned<RawVar>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHead {
    name: Option<Spanned<String>>,
    description: Option<String>,
    #[serde(default)]
    include: Vec<Spanned<String>>,
    services: Option<Vec<String>>,
    secrets_uid: Option<u32>,
    secrets_gid: Option<u32>,
    #[serde(default)]
    postgres_roles: Vec<String>,
    #[serde(default)]
    recipients: Vec<String>,
    recipients_file: Option<PathBuf>,
    env_files: Option<Vec<PathBuf>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVar {
    kind: Option<Spanned<String>>,
    value: Option<Spanned<String>>,
    same_as: Option<Spanned<String>>,
    template: Option<Spanned<String>>,
    escape: Option<Spanned<String>>,
    from: Option<Spanned<String>>,
    external: Option<Spanned<bool>>,
    description: Option<String>,
    rotate_after: Option<Spanned<String>>,
    services: Option<Vec<String>>,
    rollover: Option<String>,
    file_env: Option<String>,
    postgres_role: Option<String>,
    mysql_user: Option<Spanned<OneOrMany>>,
    redis_user: Option<Spanned<String>>,
    rotation: Option<Spanned<String>>,
    previous_keys: Option<Spanned<String>>,
    live_command: Option<Spanned<live_command::RawLiveCommand>>,
    length: Option<Spanned<i64>>,
    bytes: Option<Spanned<i64>>,
    alphabet: Option<Spanned<String>>,
    urlsafe: Option<Spanned<bool>>,
    padded: Option<Spanned<bool>>,
    alg: Option<Spanned<String>>,
    claims: Option<Spanned<toml::Table>>,
    expires_in: Option<Spanned<String>>,
}

/// A string or a list of strings (`mysql_user`).
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// Why a `mysql_user` entry is refused: names go into SQL string literals,
/// so quotes, backslashes and control characters are kept out (no account
/// a manifest should name has them).
fn mysql_account_problem(entry: &str) -> Option<String> {
    let (user, host) = entry.rsplit_once('@').unwrap_or((entry, ""));
    if user.is_empty() {
        return Some(format!("`{entry}` names no user"));
    }
    if entry.contains('@') && host.is_empty() {
        return Some(format!(
            "`{entry}` has an empty host (write `{user}` for every host)"
        ));
    }
    if entry
        .chars()
        .any(|c| c.is_control() || matches!(c, '\'' | '\\' | '"' | '`'))
    {
        return Some(format!(
            "`{}` holds a quote, a backslash or a control character",
            entry.escape_debug()
        ));
    }
    if user.chars().count() > 80 || host.chars().count() > 255 {
        return Some(format!("`{entry}` is longer than MariaDB allows"));
    }
    None
}

/// Whether `name` is a portable environment variable name.
pub fn is_env_name(name: &str) -> bool {
    let mut b = name.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Parses a duration such as `90d`, `12h`, `10y` (a year is 365 days).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let unit_at = text.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = text.split_at(unit_at);
    let n: u64 = n.parse().ok()?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        "y" => 365 * 86_400,
        _ => return None,
    };
    n.checked_mul(secs)
        .filter(|&s| s > 0)
        .map(Duration::from_secs)
}

/// Why `name` cannot be a Redis ACL user named in a manifest, if it cannot:
/// Redis refuses empty names and spaces; control characters and `${…}`
/// (a name taken from the `.env`, which the service user may edit) are
/// refused here.
fn redis_user_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("is empty")
    } else if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("holds a space or a control character, which Redis user names cannot")
    } else if name.contains("${") {
        Some("must be a literal ACL user name (`${…}` is not expanded)")
    } else if name.len() > 128 {
        Some("is longer than 128 bytes")
    } else {
        None
    }
}

/// Maps byte offsets in one file to line and column.
struct Locator<'a> {
    file: Arc<str>,
    text: &'a str,
}

impl Locator<'_> {
    fn at(&self, offset: usize) -> Origin {
        // Spans fall on character boundaries; a template offset may not.
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Origin {
            file: self.file.clone(),
            line,
            col,
        }
    }

    fn syntax<T>(&self, offset: usize, message: impl Into<String>) -> Result<T, ManifestError> {
        Err(ManifestError::Syntax {
            origin: self.at(offset),
            message: message.into(),
        })
    }

    fn invalid<T>(
        &self,
        offset: usize,
        field: &'static str,
        message: impl Into<String>,
    ) -> Result<T, ManifestError> {
        Err(ManifestError::InvalidValue {
            origin: self.at(offset),
            field,
            message: message.into(),
        })
    }
}

/// serde's ``unknown field `NAME`, expected one of `A`, `B` `` (or
/// ``expected `A` ``): the name and the expected field closest to it, when
/// one is close enough to be a typo; otherwise the message stays as it is,
/// listing every field.
fn unknown_field(message: &str) -> Option<(String, String)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (name, expected) = rest.split_once('`')?;
    let fields = expected.split('`').skip(1).step_by(2);
    let suggestion = crate::suggest::closest(name, fields)?;
    Some((name.to_owned(), suggestion))
}

impl ManifestFile {
    /// Reads and parses a manifest file.
    /// A manifest decides owners, modes and database roles, so it is read as
    /// a key file is ([`crate::safe_fs::read_trusted`]): owned by root or the
    /// caller, writable by nobody else, in directories nobody else can
    /// change; a regular file of at most
    /// [`crate::safe_fs::limits::MANIFEST`] bytes.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        use crate::safe_fs::{limits, read_trusted};
        let bytes = read_trusted(path, limits::MANIFEST)
            .map_err(|error| ManifestError::Untrusted {
                path: path.to_owned(),
                error,
            })?
            .ok_or_else(|| ManifestError::Read {
                path: path.to_owned(),
                source: std::io::ErrorKind::NotFound.into(),
            })?;
        let display = path.display().to_string();
        let text = std::str::from_utf8(&bytes).map_err(|e| {
            // The place of the first bad byte: the text before it is valid.
            let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
            let line = valid.matches('\n').count() + 1;
            let col = valid.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            ManifestError::Syntax {
                origin: Origin {
                    file: Arc::from(display.as_str()),
                    line,
                    col,
                },
                message: "not UTF-8: a manifest is TOML, which is UTF-8 text".into(),
            }
        })?;
        let mut file = Self::parse(&display, text)?;
        // A relative recipients file is the manifest's neighbour, wherever
        // secrets runs from.
        if let Some(r) = file.recipients_file.take() {
            let dir = path.parent().unwrap_or(Path::new(""));
            file.recipients_file = Some(if r.is_absolute() { r } else { dir.join(r) });
        }
        file.dir = Some(path.parent().unwrap_or(Path::new("")).to_owned());
        Ok(file)
    }

    /// Parses manifest text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Self, ManifestError> {
        let loc = Locator {
            file: Arc::from(file),
            text,
        };
        let raw: RawFile = toml::from_str(text).or_else(|e| {
            // Only the message and the span: toml's own Display quotes the
            // source line, which may hold a value.
            let span = e.span().unwrap_or(0..0);
            let mut message = e.message().trim().replace('\n', "; ");
            if message == "duplicate key" {
                // toml 1 no longer names it; the span is the key (a name,
                // never a value).
                if let Some(key) = text.get(span.clone()).filter(|k| !k.contains('\n')) {
                    message = format!("duplicate key `{}`", key.trim());
                }
            }
            if let Some((name, suggestion)) = unknown_field(&message) {
                return Err(ManifestError::Unknown {
                    origin: loc.at(span.start),
                    namespace: Namespace::Field,
                    name,
                    suggestion: Some(suggestion),
                });
            }
            loc.syntax(span.start, message)
        })?;
        let head = match (raw.stack, raw.component) {
            (Some(h), None) | (None, Some(h)) => h,
            (None, None) => RawHead {
                name: None,
                description: None,
                include: Vec::new(),
                services: None,
                secrets_uid: None,
                secrets_gid: None,
                postgres_roles: Vec::new(),
                recipients: Vec::new(),
                recipients_file: None,
                env_files: None,
            },
            (Some(_), Some(_)) => {
                return loc.syntax(
                    0,
                    "a file has either a `[stack]` or a `[component]` table, not both",
                )
            }
        };
        let name = head.name.map(Spanned::into_inner).unwrap_or_else(|| {
            Path::new(file)
                .file_stem()
                .map_or("stack".into(), |s| s.to_string_lossy().into_owned())
        });
        let include = head
            .include
            .into_iter()
            .map(|c| (c.get_ref().clone(), loc.at(c.span().start)))
            .collect();
        let mut vars = Vec::new();
        for (key, var) in raw.vars {
            let mut v = convert_var(&loc, &name, key, var)?;
            if v.services.is_empty() {
                v.services = head.services.clone().unwrap_or_default();
            }
            vars.push(v);
        }
        Ok(ManifestFile {
            name,
            description: head.description,
            include,
            vars,
            secrets_owner: (head.secrets_uid, head.secrets_gid),
            postgres_roles: head.postgres_roles,
            recipients: head.recipients,
            recipients_file: head.recipients_file,
            env_files: head
                .env_files
                .unwrap_or_else(|| vec![PathBuf::from(".env"), PathBuf::from(".env.*")]),
            dir: None,
        })
    }
}

fn convert_var(
    loc: &Locator<'_>,
    component: &str,
    key: Spanned<String>,
    var: Spanned<RawVar>,
) -> Result<VarDef, ManifestError> {
    let key_at = key.span().start;
    let name = key.into_inner();
    if !is_env_name(&name) {
        return Err(ManifestError::InvalidName {
            origin: loc.at(key_at),
            name,
        });
    }
    let table_at = var.span().start;
    let v = var.into_inner();

    // Exactly one source.
    let sources: Vec<(&'static str, usize)> = [
        ("kind", v.kind.as_ref().map(|s| s.span().start)),
        ("value", v.value.as_ref().map(|s| s.span().start)),
        ("same_as", v.same_as.as_ref().map(|s| s.span().start)),
        ("template", v.template.as_ref().map(|s| s.span().start)),
        (
            "external",
            v.external
                .as_ref()
                .filter(|e| *e.get_ref())
                .map(|s| s.span().start),
        ),
    ]
    .into_iter()
    .filter_map(|(n, at)| at.map(|a| (n, a)))
    .collect();
    match sources.as_slice() {
        [] => {
            return Err(ManifestError::NoSource {
                origin: loc.at(table_at),
                variable: name,
            })
        }
        [_] => {}
        [(first, _), (second, at), ..] => {
            return Err(ManifestError::TwoSources {
                origin: loc.at(*at),
                variable: name,
                first,
                second,
            })
        }
    }

    // Parameters that belong to kinds; each must be used by the kind chosen.
    let mut unused: Vec<(&'static str, usize)> = [
        ("length", v.length.as_ref().map(|s| s.span().start)),
        ("bytes", v.bytes.as_ref().map(|s| s.span().start)),
        ("alphabet", v.alphabet.as_ref().map(|s| s.span().start)),
        ("urlsafe", v.urlsafe.as_ref().map(|s| s.span().start)),
        ("padded", v.padded.as_ref().map(|s| s.span().start)),
        ("alg", v.alg.as_ref().map(|s| s.span().start)),
        ("claims", v.claims.as_ref().map(|s| s.span().start)),
        ("expires_in", v.expires_in.as_ref().map(|s| s.span().start)),
        ("from", v.from.as_ref().map(|s| s.span().start)),
        ("escape", v.escape.as_ref().map(|s| s.span().start)),
    ]
    .into_iter()
    .filter_map(|(n, at)| at.map(|a| (n, a)))
    .collect();
    let mut take = |param: &str| unused.retain(|(n, _)| *n != param);

    let count = |p: &Option<Spanned<i64>>,
                 default: usize,
                 min: usize,
                 what: &'static str|
     -> Result<usize, ManifestError> {
        match p {
            None => Ok(default),
            Some(s) if *s.get_ref() >= min as i64 && *s.get_ref() <= 65_536 => {
                Ok(*s.get_ref() as usize)
            }
            Some(s) => loc.invalid(
                s.span().start,
                what,
                format!("`{what}` must be between {min} and 65536"),
            ),
        }
    };

    let mut reference_origin = None;
    let source = if let Some(kind) = &v.kind {
        let kind_at = kind.span().start;
        match kind.get_ref().as_str() {
            "password" | "raw-key" => {
                take("length");
                take("alphabet");
                let alphabet = match &v.alphabet {
                    None => Alphabet::Alphanumeric,
                    Some(a) => Alphabet::from_name(a.get_ref()).map_or_else(
                        || {
                            let known: Vec<&str> = Alphabet::ALL.iter().map(|a| a.name()).collect();
                            loc.invalid(
                                a.span().start,
                                "alphabet",
                                format!(
                                    "unknown alphabet `{}` ({})",
                                    a.get_ref(),
                                    known.join(", ")
                                ),
                            )
                        },
                        Ok,
                    )?,
                };
                let length = count(&v.length, 32, 8, "length")?;
                Source::Generate(if kind.get_ref() == "password" {
                    Kind::Password { length, alphabet }
                } else {
                    Kind::RawKey { length, alphabet }
                })
            }
            "hex" => {
                take("bytes");
                Source::Generate(Kind::Hex {
                    bytes: count(&v.bytes, 32, 1, "bytes")?,
                })
            }
            "base64" => {
                take("bytes");
                take("urlsafe");
                take("padded");
                Source::Generate(Kind::Base64 {
                    bytes: count(&v.bytes, 32, 1, "bytes")?,
                    urlsafe: v.urlsafe.as_ref().is_some_and(|s| *s.get_ref()),
                    padded: v.padded.as_ref().is_none_or(|s| *s.get_ref()),
                })
            }
            "token" => {
                take("bytes");
                Source::Generate(Kind::Token {
                    bytes: count(&v.bytes, 32, 16, "bytes")?,
                })
            }
            "jwt-secret" => {
                take("alg");
                let alg = match &v.alg {
                    None => JwtAlg::Hs256,
                    Some(a) => JwtAlg::from_name(a.get_ref()).map_or_else(
                        || {
                            loc.invalid(
                                a.span().start,
                                "alg",
                                format!("unknown `alg` `{}` (HS256, HS384, HS512)", a.get_ref()),
                            )
                        },
                        Ok,
                    )?,
                };
                Source::Generate(Kind::JwtSecret { alg })
            }
            "username" => {
                take("length");
                Source::Generate(Kind::Username {
                    length: count(&v.length, 12, 3, "length")?,
                })
            }
            "uuid" => Source::Generate(Kind::Uuid),
            "fernet" => Source::Generate(Kind::Fernet),
            "django-secret-key" => {
                take("length");
                let length = count(&v.length, 64, crate::generate::DJANGO_MIN_LENGTH, "length")?;
                Source::Generate(Kind::DjangoSecretKey { length })
            }
            "vapid-private-key" => Source::Generate(Kind::VapidPrivateKey),
            "imgproxy-key" => Source::Generate(Kind::ImgproxyKey),
            "imgproxy-salt" => Source::Generate(Kind::ImgproxySalt),
            "laravel-key" => Source::Generate(Kind::LaravelKey),
            derived @ ("vapid-public-key" | "jwt") => {
                take("from");
                let Some(from) = &v.from else {
                    return Err(ManifestError::MissingFrom {
                        origin: loc.at(kind_at),
                        kind: derived.to_owned(),
                    });
                };
                reference_origin = Some(loc.at(from.span().start));
                let derivation = if derived == "jwt" {
                    take("claims");
                    take("expires_in");
                    let claims = match &v.claims {
                        None => Map::new(),
                        Some(c) => match serde_json::to_value(c.get_ref()) {
                            Ok(Value::Object(m)) => m,
                            _ => {
                                return loc.invalid(
                                    c.span().start,
                                    "claims",
                                    "`claims` must be a table of JSON-compatible values",
                                )
                            }
                        },
                    };
                    let expires_in = match &v.expires_in {
                        None => None,
                        Some(e) if e.get_ref() == "never" => None,
                        Some(e) => Some(parse_duration(e.get_ref()).map_or_else(
                            || loc.invalid(e.span().start, "expires_in", format!("`expires_in` `{}` is not a duration like 90d, 12h or 10y (or \"never\")", e.get_ref())),
                            Ok,
                        )?),
                    };
                    Derivation::SignedJwt { claims, expires_in }
                } else {
                    Derivation::VapidPublicKey
                };
                Source::Derive {
                    derivation,
                    from: from.get_ref().clone(),
                }
            }
            other => {
                return Err(ManifestError::Unknown {
                    origin: loc.at(kind_at),
                    namespace: Namespace::Kind,
                    name: other.to_owned(),
                    suggestion: crate::suggest::closest(
                        other,
                        crate::generate::KINDS.iter().map(|k| k.name),
                    ),
                });
            }
        }
    } else if let Some(value) = &v.value {
        Source::Literal(value.get_ref().clone())
    } else if let Some(other) = &v.same_as {
        reference_origin = Some(loc.at(other.span().start));
        Source::SameAs(other.get_ref().clone())
    } else if let Some(t) = &v.template {
        take("escape");
        let escape = match &v.escape {
            None => Escape::infer(t.get_ref()),
            Some(e) => Escape::from_name(e.get_ref()).map_or_else(
                || {
                    loc.invalid(
                        e.span().start,
                        "escape",
                        format!("unknown `escape` `{}` (url, json, none)", e.get_ref()),
                    )
                },
                Ok,
            )?,
        };
        // +1 skips the opening quote of a basic string.
        let parsed = Template::parse(t.get_ref(), escape)
            .or_else(|e| loc.invalid(t.span().start + 1 + e.offset, "template", e.message))?;
        reference_origin = Some(loc.at(t.span().start));
        Source::Template(parsed)
    } else {
        Source::External
    };

    if let Some((param, at)) = unused.first() {
        let what = v.kind.as_ref().map_or_else(
            || "this variable".to_owned(),
            |k| format!("kind `{}`", k.get_ref()),
        );
        return Err(ManifestError::FieldNotApplicable {
            origin: loc.at(*at),
            field: param,
            applies_to: what,
        });
    }

    let rotate_after = match &v.rotate_after {
        None => None,
        Some(r) => Some(parse_duration(r.get_ref()).map_or_else(
            || {
                loc.invalid(
                    r.span().start,
                    "rotate_after",
                    format!(
                        "`rotate_after` `{}` is not a duration like 90d, 12h or 1y",
                        r.get_ref()
                    ),
                )
            },
            Ok,
        )?),
    };

    let rotation = match &v.rotation {
        None => None,
        Some(r) => Some(DeclaredClass {
            class: RotationClass::from_name(r.get_ref()).map_or_else(
                || {
                    let known: Vec<&str> = RotationClass::ALL.iter().map(|c| c.name()).collect();
                    loc.invalid(
                        r.span().start,
                        "rotation",
                        format!(
                            "unknown rotation class `{}` ({})",
                            r.get_ref(),
                            known.join(", ")
                        ),
                    )
                },
                Ok,
            )?,
            origin: loc.at(r.span().start),
        }),
    };
    let mysql_user = match v.mysql_user {
        None => None,
        Some(m) => {
            let at = m.span().start;
            let entries = match m.into_inner() {
                OneOrMany::One(one) => vec![one],
                OneOrMany::Many(many) => many,
            };
            if entries.is_empty() {
                return loc.invalid(at, "mysql_user", "`mysql_user` lists no account");
            }
            if let Some(problem) = entries.iter().find_map(|e| mysql_account_problem(e)) {
                return loc.invalid(at, "mysql_user", format!("`mysql_user`: {problem}"));
            }
            Some(entries)
        }
    };
    let previous_keys = match v.previous_keys {
        Some(p) if !is_env_name(p.get_ref()) => {
            return loc.invalid(
                p.span().start,
                "previous_keys",
                format!("`previous_keys` `{}` is not a variable name", p.get_ref()),
            )
        }
        p => p.map(Spanned::into_inner),
    };
    let live_command = match v.live_command {
        Some(c) => Some(live_command::convert(loc, c.span().start, c.into_inner())?),
        None => None,
    };

    let redis_user = match v.redis_user {
        None => None,
        Some(u) => {
            let at = u.span().start;
            let name = u.into_inner();
            if let Some(why) = redis_user_problem(&name) {
                return loc.invalid(at, "redis_user", format!("`redis_user` {why}"));
            }
            if v.postgres_role.is_some() || mysql_user.is_some() {
                return loc.invalid(
                    at,
                    "redis_user",
                    "a variable has one live step: `redis_user` cannot stand beside `postgres_role` or `mysql_user`",
                );
            }
            Some(name)
        }
    };

    Ok(VarDef {
        name,
        component: component.to_owned(),
        description: v.description,
        source,
        rotate_after,
        services: v.services.unwrap_or_default(),
        rollover: v.rollover,
        file_env: v.file_env,
        postgres_role: v.postgres_role,
        mysql_user,
        redis_user,
        rotation,
        previous_keys,
        live_command,
        origin: loc.at(key_at),
        reference_origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        ManifestFile::parse("m.toml", text).unwrap_err().to_string()
    }

    #[test]
    fn parses_every_source() {
        let m = ManifestFile::parse(
            "m.toml",
            r#"
[stack]
name = "demo"
include = ["postgres"]
[vars.A]
kind = "password"
length = 40
[vars.B]
same_as = "A"
[vars.C]
template = "postgresql://u:${A}@h/db"
[vars.D]
external = true
description = "the operator's key"
[vars.E]
value = "literal"
rotate_after = "90d"
[vars.F]
kind = "jwt"
from = "A"
claims = { role = "anon" }
expires_in = "10y"
"#,
        )
        .unwrap();
        assert_eq!(m.name, "demo");
        assert_eq!(m.include[0].0, "postgres");
        let names: Vec<&str> = m.vars.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["A", "B", "C", "D", "E", "F"]);
        assert_eq!(
            m.vars[0].source,
            Source::Generate(Kind::Password {
                length: 40,
                alphabet: Alphabet::Alphanumeric
            })
        );
        assert_eq!(m.vars[2].source.inputs(), ["A"]);
        assert_eq!(m.vars[3].source, Source::External);
        assert_eq!(
            m.vars[4].rotate_after,
            Some(Duration::from_secs(90 * 86_400))
        );
        assert_eq!(m.vars[5].source.inputs(), ["A"]);
        assert_eq!(m.vars[1].origin.line, 8);
    }

    #[test]
    fn mistakes_name_line_and_column() {
        assert_eq!(
            err("[vars.A]\nkind = \"passwd\"\n"),
            "m.toml:2:8: unknown kind `passwd`; did you mean `password`?"
        );
        assert_eq!(
            err("[vars.A]\nkind = \"x509-certificate\"\n"),
            "m.toml:2:8: unknown kind `x509-certificate`"
        );
        assert_eq!(
            err("[vars.A]\nkind = \"hex\"\nlength = 3\n"),
            "m.toml:3:10: `length` does not apply to kind `hex`"
        );
        assert_eq!(
            err("[vars.A]\nkind = \"hex\"\nvalue = \"x\"\n"),
            "m.toml:3:9: `A` has both `kind` and `value`; a variable has exactly one source"
        );
        assert!(err("[vars.A]\nkinde = \"hex\"\n").starts_with("m.toml:2:1: unknown field `kinde`"));
        assert_eq!(
            err("[vars.1A]\nkind = \"hex\"\n"),
            "m.toml:1:7: `1A` is not a variable name (A-Z, a-z, 0-9, _; not starting with a digit)"
        );
        assert_eq!(
            err("[vars.A]\ntemplate = \"x${B\"\n"),
            "m.toml:2:14: `${` is not closed by `}`"
        );
        // The repeated key is named (toml itself says only "duplicate key").
        assert_eq!(
            err("[vars.A]\nkind = \"hex\"\nkind = \"uuid\"\n"),
            "m.toml:3:1: duplicate key `kind`"
        );
        assert_eq!(
            err("[vars.A]\nkind = \"hex\"\n[vars.A]\n"),
            "m.toml:3:7: duplicate key `A`"
        );
    }

    fn error(text: &str) -> ManifestError {
        ManifestFile::parse("m.toml", text).unwrap_err()
    }

    fn at(line: usize, col: usize) -> Origin {
        Origin {
            file: "m.toml".into(),
            line,
            col,
        }
    }

    #[test]
    fn mistakes_are_matchable_variants_with_places() {
        let e = error("[vars.A]\nkind = \"hex\"\nlenght = 3\n");
        assert!(
            matches!(&e, ManifestError::Unknown { origin, namespace: Namespace::Field, name, suggestion: Some(s) }
                if *origin == at(3, 1) && name == "lenght" && s == "length"),
            "{e}"
        );
        let e = error("[vars.1A]\nkind = \"hex\"\n");
        assert!(
            matches!(&e, ManifestError::InvalidName { origin, name } if *origin == at(1, 7) && name == "1A"),
            "{e}"
        );
        let e = error("[vars.A]\ndescription = \"x\"\n");
        assert!(
            matches!(&e, ManifestError::NoSource { variable, .. } if variable == "A"),
            "{e}"
        );
        let e = error("[vars.A]\nkind = \"hex\"\nvalue = \"x\"\n");
        assert!(
            matches!(&e, ManifestError::TwoSources { origin, first: "kind", second: "value", .. } if *origin == at(3, 9)),
            "{e}"
        );
        let e = error("[vars.A]\nkind = \"jwt\"\n");
        assert!(
            matches!(&e, ManifestError::MissingFrom { kind, .. } if kind == "jwt"),
            "{e}"
        );
        let e = error("[vars.A]\nkind = \"password\"\nlength = 4\n");
        assert!(
            matches!(&e, ManifestError::InvalidValue { origin, field: "length", .. } if *origin == at(3, 10)),
            "{e}"
        );
        let e = error("[vars.A]\nvalue = \"x\"\nrotate_after = \"soon\"\n");
        assert!(
            matches!(
                &e,
                ManifestError::InvalidValue {
                    field: "rotate_after",
                    ..
                }
            ),
            "{e}"
        );
        let e = error("[vars.A]\ntemplate = \"x${B\"\n");
        assert!(
            matches!(&e, ManifestError::InvalidValue { origin, field: "template", .. } if *origin == at(2, 14)),
            "{e}"
        );
        let e = error("[vars.A]\nkind = \"hex\"\nlength = 3\n");
        assert!(
            matches!(&e, ManifestError::FieldNotApplicable { field: "length", applies_to, .. } if applies_to == "kind `hex`"),
            "{e}"
        );
        let e = error("[vars.A]\nkind = \"passwd\"\n");
        assert!(
            matches!(&e, ManifestError::Unknown { namespace: Namespace::Kind, name, suggestion: Some(s), .. } if name == "passwd" && s == "password"),
            "{e}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_manifest_others_can_write_is_untrusted() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let m = d.path().join("secrets.toml");
        std::fs::write(&m, "[vars.A]\nkind = \"hex\"\n").unwrap();
        std::fs::set_permissions(&m, std::fs::Permissions::from_mode(0o666)).unwrap();
        let e = ManifestFile::load(&m).unwrap_err();
        assert!(
            matches!(&e, ManifestError::Untrusted { path, .. } if *path == m),
            "{e}"
        );
        assert!(!e.to_string().contains('\n'), "{e}");
    }

    #[test]
    fn raw_keys_take_a_length_and_an_alphabet() {
        let m = ManifestFile::parse(
            "m.toml",
            "[vars.K]\nkind = \"raw-key\"\nlength = 16\nalphabet = \"hex\"\n[vars.L]\nkind = \"laravel-key\"\n",
        )
        .unwrap();
        assert_eq!(
            m.vars[0].source,
            Source::Generate(Kind::RawKey {
                length: 16,
                alphabet: Alphabet::Hex
            })
        );
        assert_eq!(m.vars[1].source, Source::Generate(Kind::LaravelKey));
        assert_eq!(
            err("[vars.K]\nkind = \"raw-key\"\nalphabet = \"b64\"\n"),
            "m.toml:3:12: unknown alphabet `b64` (alphanumeric, env-safe, lower-alphanumeric, hex)"
        );
        assert_eq!(
            err("[vars.K]\nkind = \"laravel-key\"\nlength = 32\n"),
            "m.toml:3:10: `length` does not apply to kind `laravel-key`"
        );
    }

    #[test]
    fn recipients_file_is_relative_to_the_manifest() {
        let d = tempfile::tempdir().unwrap();
        let m = d.path().join("secrets.toml");
        std::fs::write(
            &m,
            "[stack]\nrecipients = [\"age1x\", \"ssh-ed25519 AAAA\"]\nrecipients_file = \"keys.txt\"\n",
        )
        .unwrap();
        let f = ManifestFile::load(&m).unwrap();
        assert_eq!(f.recipients, ["age1x", "ssh-ed25519 AAAA"]);
        assert_eq!(f.recipients_file, Some(d.path().join("keys.txt")));
        let s = crate::stack::Stack::from_manifest(f).unwrap();
        assert_eq!(s.recipients.len(), 2);
    }

    #[test]
    fn redis_user_is_a_literal_acl_user() {
        let m = ManifestFile::parse(
            "m.toml",
            "[vars.APP_REDIS_PASSWORD]\nkind = \"password\"\nredis_user = \"app\"\n",
        )
        .unwrap();
        assert_eq!(m.vars[0].redis_user.as_deref(), Some("app"));
        assert_eq!(m.vars[0].live_step(), Some("redis"));
        for (user, why) in [
            ("", "`redis_user` is empty"),
            ("my app", "`redis_user` holds a space"),
            (
                "${APP_USER}",
                "`redis_user` must be a literal ACL user name",
            ),
        ] {
            let e = err(&format!(
                "[vars.P]\nkind = \"password\"\nredis_user = \"{user}\"\n"
            ));
            assert!(e.starts_with("m.toml:3:14: ") && e.contains(why), "{e}");
        }
        let e =
            err("[vars.P]\nkind = \"password\"\npostgres_role = \"app\"\nredis_user = \"app\"\n");
        assert_eq!(
            e,
            "m.toml:4:14: a variable has one live step: `redis_user` cannot stand beside `postgres_role` or `mysql_user`"
        );
    }

    #[test]
    fn rotation_classes_and_previous_keys_are_checked() {
        let m = ManifestFile::parse(
            "m.toml",
            "[vars.K]\nkind = \"laravel-key\"\nrotation = \"data-key\"\nprevious_keys = \"K_OLD\"\n",
        )
        .unwrap();
        let declared = m.vars[0].rotation.as_ref().unwrap();
        assert_eq!(declared.class, RotationClass::DataKey);
        assert_eq!((declared.origin.line, declared.origin.col), (3, 12));
        assert_eq!(m.vars[0].previous_keys.as_deref(), Some("K_OLD"));
        assert_eq!(
            err("[vars.K]\nkind = \"hex\"\nrotation = \"once\"\n"),
            "m.toml:3:12: unknown rotation class `once` (restart, stored, data-key, issued)"
        );
        assert_eq!(
            err("[vars.K]\nkind = \"hex\"\nprevious_keys = \"a,b\"\n"),
            "m.toml:3:17: `previous_keys` `a,b` is not a variable name"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("90d"),
            Some(Duration::from_secs(90 * 86_400))
        );
        assert_eq!(parse_duration("12h"), Some(Duration::from_secs(43_200)));
        assert_eq!(parse_duration("0d"), None);
        assert_eq!(parse_duration("d"), None);
        assert_eq!(parse_duration("5x"), None);
    }
}

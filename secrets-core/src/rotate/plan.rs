//! Planning a rotation against a document, and applying the plan.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, UNIX_EPOCH};

use rand::{CryptoRng, Rng};
use zeroize::Zeroizing;

use super::class::{class_of, Classified, RotationClass};
use super::{days, infer, stamp_age, StampAge, PREVIOUS_SUFFIX};
use crate::envfile::render::Disagreement;
use crate::envfile::{is_dotenvx_encrypted, Document};
use crate::generate::{jwt, Kind};
use crate::manifest::{Escape, Source};
use crate::secret::joined;
use crate::stack::{Existing, ResolveError, Stack};
use crate::SecretValue;

/// Which keys to rotate.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Named keys.
    pub keys: Vec<String>,
    /// Every generated key of the manifest present in the file.
    pub all: bool,
    /// The generated keys older than their `rotate_after`.
    pub due: bool,
    /// What the operator allows beyond a `restart` rotation. `all` and
    /// `due` rotate `restart` values only, whatever it says.
    pub consent: Consent,
}

/// What the operator allows when a named key is not simply `restart`
/// ([`RotationClass`]). Nothing by default: a `stored` or `data-key` value
/// is then refused.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct Consent {
    /// The PostgreSQL live step runs with the rotation: a `stored` value
    /// with a `postgres_role` may rotate. ([`super::rotate_env`] sets it
    /// from its request.)
    pub live_postgres: bool,
    /// The live step that runs with the rotation (`postgres`, `mysql`,
    /// `redis`, `command`): a `stored` value whose manifest entry names an
    /// account of that step may rotate. ([`super::rotate_env`] sets it
    /// from its request.)
    pub live_step: Option<&'static str>,
    /// The server's copy of each `stored` value is changed by hand.
    pub server_changed: bool,
    /// The old value is kept where its consumer reads it: a `data-key` whose
    /// consumer reads previous keys (`previous_keys`) may rotate.
    /// ([`super::rotate_env`] sets it from its request.)
    pub keep_previous: bool,
    /// Data encrypted with a `data-key` may become unreadable.
    pub accept_data_loss: bool,
}

/// A rotation that cannot be planned. Names keys, never values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RotateError {
    /// The key is not assigned in the file.
    #[error("{key} is not in the file{}", crate::suggest::did_you_mean(.suggestion))]
    NotInFile {
        /// The key asked for.
        key: String,
        /// The file's key closest to it ([`crate::suggest::closest`]).
        suggestion: Option<String>,
    },
    /// The key's value is not generated.
    #[error("{name} cannot be rotated: {why}")]
    NotRotatable {
        /// The key.
        name: String,
        /// Why, and what to do instead.
        why: String,
    },
    /// No manifest and a value whose shape says nothing safe.
    #[error("cannot infer the kind of {0} from its value; give its kind in a manifest")]
    CannotInfer(String),
    /// No manifest, and the value is a placeholder, a published default or
    /// too weak to size a new value from.
    #[error("{name} holds {why}, so its kind cannot be inferred from it; give it a manifest entry (`[vars.{name}]` with its `kind`)")]
    Untrustworthy {
        /// The key.
        name: String,
        /// What the value is.
        why: String,
    },
    /// No manifest, and another key holds the same value: an alias, or a
    /// separate secret that happens to be equal? Only a manifest can say.
    #[error("{name} and {other} hold the same value; say in a manifest whether {other} is an alias (`same_as = \"{name}\"`) or a separate secret")]
    SharedValue {
        /// The key.
        name: String,
        /// The other key.
        other: String,
    },
    /// [`Selection::all`] or [`Selection::due`] without a manifest.
    #[error("rotating {} needs a manifest", if *.due { "the due keys" } else { "every generated key" })]
    NeedsManifest {
        /// Asked for the due keys (else for all).
        due: bool,
    },
    /// No key named, and neither all nor the due keys asked for.
    #[error("nothing to rotate: no key named, and neither all nor the due keys asked for")]
    NothingSelected,
    /// A key to change is assigned more than once: editing one copy would
    /// leave the other stale.
    #[error(
        "{0}; editing one copy would leave the other stale: delete the stale copies and run again"
    )]
    Duplicated(crate::envfile::Duplicate),
    /// A value encrypted by dotenvx: its plaintext is not here.
    #[error("{0} is encrypted by dotenvx: decrypt the file first (`dotenvx decrypt -f FILE`), rotate, then encrypt it again (`dotenvx encrypt -f FILE`)")]
    Encrypted(String),
    /// A dependent could not be recomputed.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// The plan does not fit the document: a key it names is not there.
    #[error("the plan names {0}, which this file does not hold: plan the rotation on this file")]
    PlanMismatch(String),
    /// The plan names a key no file can hold.
    #[error(transparent)]
    InvalidKey(#[from] crate::envfile::InvalidKey),
    /// A `stored` value named without its live step, and without the
    /// operator's word that the server's copy is changed by hand.
    #[error("{name} is stored ({}): its server keeps its own copy, so a new value in the file alone locks its clients out; nothing was changed: {}", .class.source, match .live { Some(step) => format!("rotate it with the {step} live step, or change the server's copy by hand and say so"), None => "no live step exists for it: change the server's copy by hand and say so".into() })]
    Stored {
        /// The value (the key named, or a value that follows it).
        name: String,
        /// Its class and where that comes from.
        class: Classified,
        /// The live step that changes it (`postgres`, `redis`), when there is one.
        live: Option<&'static str>,
    },
    /// A `data-key` named without keeping the old key where its consumer
    /// reads it, and without the operator accepting the loss.
    #[error("{name} is a data key ({}): it encrypts data at rest, which a new value makes unreadable; nothing was changed: {}", .class.source, match .previous_keys { Some(var) => format!("keep the old key in {var}, where its consumer reads it, or accept the loss"), None => "its consumer reads no previous key: re-encrypt the data yourself, then accept the loss".into() })]
    DataKey {
        /// The value (the key named, or a value that follows it).
        name: String,
        /// Its class and where that comes from.
        class: Classified,
        /// Where its consumer reads previous keys, when it does.
        previous_keys: Option<String>,
    },
}

/// One key to rotate.
#[derive(Debug, Clone)]
pub struct PlannedKey {
    /// The key.
    pub name: String,
    /// The kind its new value will have.
    pub kind: Kind,
    /// Whether the kind was inferred from the value (no manifest entry).
    pub inferred: bool,
    /// Why it is due (`--due`).
    pub reason: Option<String>,
    /// How its consumer takes two values during a rollover.
    pub rollover: Option<String>,
    /// What the value protects, and where that comes from.
    pub class: Classified,
    /// The variable its consumer reads previous values from
    /// (comma-separated, newest first), when it has one: where
    /// `keep_previous` keeps the old value.
    pub previous_keys: Option<String>,
}

/// A key `all` or `due` would have rotated and left alone.
#[derive(Debug, Clone)]
pub struct Skipped {
    /// The key.
    pub name: String,
    /// Its class.
    pub class: Classified,
    /// A value that follows it and is not `restart` (an issued token signed
    /// with it), when that, not its own class, stops it.
    pub follower: Option<(String, Classified)>,
    /// Why it is due (`due`).
    pub due: Option<String>,
    /// Where its consumer reads previous keys, when it does.
    pub previous_keys: Option<String>,
    /// The live step that changes a `stored` value (`postgres`), when it
    /// has one.
    pub live: Option<&'static str>,
}

/// What rotating a value that is not simply `restart` does beyond the
/// file, for the operator to know (allowed by the class or the consent).
#[derive(Debug, Clone)]
pub struct Consequence {
    /// The value (the key named, or a value that follows it).
    pub name: String,
    /// Its class.
    pub class: Classified,
    /// What breaks, or what is left to do.
    pub what: String,
}

/// What a rotation will do.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Keys that get new values.
    pub keys: Vec<PlannedKey>,
    /// Other keys whose values follow (aliases, templates, derived, tokens).
    pub dependents: Vec<String>,
    /// Services to restart afterwards.
    pub services: Vec<String>,
    /// Keys `all` or `due` left alone because they are not `restart`.
    pub skipped: Vec<Skipped>,
    /// What the named keys' classes mean beyond the file.
    pub consequences: Vec<Consequence>,
}

/// What a rotation did beyond the plan.
#[derive(Debug, Default)]
pub struct Applied {
    /// `NAME_PREVIOUS` keys written.
    pub previous: Vec<String>,
    /// Values some readers will read differently.
    pub disagreements: Vec<Disagreement>,
}

fn present(doc: &Document, key: &str) -> bool {
    doc.get(key).is_some()
}

/// Decides what to rotate. With a stack, kinds and dependents come from the
/// manifest; keys it does not know have their kind inferred from the value.
pub fn plan(
    doc: &Document,
    stack: Option<&Stack>,
    selection: &Selection,
    now: std::time::SystemTime,
) -> Result<Plan, RotateError> {
    // (name, why it is due, selected by all or due rather than named)
    let mut names: Vec<(String, Option<String>, bool)> = (selection.keys.iter())
        .map(|k| (k.clone(), None, false))
        .collect();
    if selection.all || selection.due {
        let stack = stack.ok_or(RotateError::NeedsManifest {
            due: !selection.all,
        })?;
        for v in stack.vars() {
            if !matches!(v.source, Source::Generate(_))
                || !present(doc, &v.name)
                || names.iter().any(|(n, _, _)| *n == v.name)
            {
                continue;
            }
            if selection.all {
                names.push((v.name.clone(), None, true));
            } else if let Some(period) = v.rotate_after {
                let reason = match stamp_age(doc, &v.name, now, period) {
                    StampAge::Missing => "no rotation stamp".into(),
                    StampAge::Future => "its rotation stamp is in the future".into(),
                    StampAge::Overdue(age) => format!(
                        "last rotated {} days ago, rotate_after {} days",
                        days(age),
                        days(period)
                    ),
                    StampAge::Fresh => continue,
                };
                names.push((v.name.clone(), Some(reason), true));
            }
        }
    }
    if names.is_empty() && !selection.due {
        return Err(RotateError::NothingSelected);
    }

    let mut keys = Vec::new();
    for (name, reason, bulk) in names {
        let value = doc.get(&name).ok_or_else(|| RotateError::NotInFile {
            suggestion: crate::suggest::closest(&name, doc.keys()),
            key: name.clone(),
        })?;
        if is_dotenvx_encrypted(value.expose()) {
            return Err(RotateError::Encrypted(name));
        }
        let var = stack.and_then(|s| s.var(&name));
        let (kind, inferred) = match var.map(|v| &v.source) {
            Some(Source::Generate(kind)) => (kind.clone(), false),
            Some(other) => {
                let why = match other {
                    Source::Derive { from, .. } => {
                        format!("it is derived from {from}; rotate {from}")
                    }
                    Source::SameAs(o) => format!("it is the same value as {o}; rotate {o}"),
                    Source::Template(t) => {
                        format!(
                            "it is built from {}; rotate those",
                            t.references().collect::<Vec<_>>().join(", ")
                        )
                    }
                    Source::Literal(_) => "it is a fixed value in the manifest".into(),
                    _ => "it is supplied by you (external); set it by hand".into(),
                };
                return Err(RotateError::NotRotatable { name, why });
            }
            None => (infer_trusted(doc, &name, value)?, true),
        };
        let key = PlannedKey {
            rollover: var.and_then(|v| v.rollover.clone()),
            class: class_of(var),
            previous_keys: var.and_then(|v| v.previous_keys.clone()),
            name,
            kind,
            inferred,
            reason,
        };
        keys.push((key, bulk));
    }

    // Every key this rotation could write must be there once, in plain
    // text, whatever its class: a broken file is refused, not skipped.
    let all: Vec<&PlannedKey> = keys.iter().map(|(k, _)| k).collect();
    let dependents = dependents_of(doc, stack, &all);
    check_writable(doc, all.iter().map(|k| k.name.as_str()), &dependents)?;

    let (kept, skipped, consequences) = gate(doc, stack, keys, &selection.consent)?;
    let dependents = dependents_of(doc, stack, &kept.iter().collect::<Vec<_>>());
    if selection.consent.keep_previous {
        for k in &kept {
            let Some(list) = &k.previous_keys else {
                continue;
            };
            check_writable(doc, [list.as_str()], &[])?;
            if doc.get(&k.name).is_some_and(|v| v.expose().contains(',')) {
                return Err(RotateError::NotRotatable {
                    name: k.name.clone(),
                    why: format!("its value holds a comma, and {list} separates keys with commas"),
                });
            }
        }
    }
    let rotated: Vec<&str> = kept.iter().map(|k| k.name.as_str()).collect();
    let mut services = BTreeSet::new();
    if let Some(s) = stack {
        for n in rotated
            .iter()
            .copied()
            .chain(dependents.iter().map(String::as_str))
        {
            if let Some(v) = s.var(n) {
                services.extend(v.services.iter().cloned());
            }
        }
    }
    Ok(Plan {
        keys: kept,
        dependents,
        services: services.into_iter().collect(),
        skipped,
        consequences,
    })
}

/// The other keys whose values follow `keys`: the manifest's dependents,
/// then, for inferred keys, the values found holding the old one.
fn dependents_of(doc: &Document, stack: Option<&Stack>, keys: &[&PlannedKey]) -> Vec<String> {
    let rotated: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
    let mut dependents: Vec<String> = match stack {
        Some(s) => stack_dependents(s, doc, &rotated),
        None => Vec::new(),
    };
    for k in keys.iter().filter(|k| k.inferred) {
        let old = doc.get(&k.name).expect("checked when planned");
        for d in scanned_dependents(doc, &k.name, old) {
            if !dependents.contains(&d) && !rotated.contains(&d.as_str()) {
                dependents.push(d);
            }
        }
    }
    dependents
}

/// Refuses a key to write that is assigned more than once, or encrypted.
fn check_writable<'a>(
    doc: &Document,
    keys: impl IntoIterator<Item = &'a str>,
    dependents: &'a [String],
) -> Result<(), RotateError> {
    for name in keys
        .into_iter()
        .chain(dependents.iter().map(String::as_str))
    {
        if let Some(d) = doc.duplicate(name) {
            return Err(RotateError::Duplicated(d));
        }
        if doc
            .get(name)
            .is_some_and(|v| is_dotenvx_encrypted(v.expose()))
        {
            return Err(RotateError::Encrypted(name.to_owned()));
        }
    }
    Ok(())
}

/// What each key's class allows. A key selected by `all` or `due` rotates
/// only when it and every classified value that follows it are `restart`,
/// and declared so (an assumed class is not enough): otherwise it is
/// skipped. A named key rotates when its class allows it with the consent
/// given; a `stored` or `data-key` value without it is an error.
#[allow(clippy::type_complexity)]
fn gate(
    doc: &Document,
    stack: Option<&Stack>,
    keys: Vec<(PlannedKey, bool)>,
    consent: &Consent,
) -> Result<(Vec<PlannedKey>, Vec<Skipped>, Vec<Consequence>), RotateError> {
    let (mut kept, mut skipped, mut consequences) = (Vec::new(), Vec::new(), Vec::new());
    for (key, bulk) in keys {
        // The key, and the values that follow it with a class of their own
        // (an issued token signed with it).
        let mut members = vec![(key.name.clone(), key.class.clone())];
        if let (Some(s), false) = (stack, key.inferred) {
            for d in stack_dependents(s, doc, &[key.name.as_str()]) {
                let class = class_of(s.var(&d));
                if !class.source.is_default() && class.class != RotationClass::Restart {
                    members.push((d, class));
                }
            }
        }
        if bulk {
            let blocker = (members.iter())
                .find(|(_, c)| c.class != RotationClass::Restart || c.source.is_default());
            if let Some((name, class)) = blocker {
                skipped.push(Skipped {
                    follower: (*name != key.name).then(|| (name.clone(), class.clone())),
                    name: key.name.clone(),
                    class: key.class.clone(),
                    due: key.reason.clone(),
                    previous_keys: key.previous_keys.clone(),
                    live: (stack.and_then(|s| s.var(&key.name))).and_then(|v| v.live_step()),
                });
                continue;
            }
            kept.push(key);
            continue;
        }
        for (name, class) in members {
            let var = stack.and_then(|s| s.var(&name));
            let about = || {
                var.and_then(|v| v.description.clone())
                    .unwrap_or_else(|| class.class.meaning().to_owned())
            };
            let what = match class.class {
                RotationClass::Restart => continue,
                RotationClass::Issued => about(),
                RotationClass::Stored => {
                    let live = var.and_then(|v| v.live_step());
                    let running = consent
                        .live_step
                        .or(consent.live_postgres.then_some("postgres"));
                    if live.is_some() && live == running {
                        continue;
                    }
                    if !consent.server_changed {
                        return Err(RotateError::Stored { name, class, live });
                    }
                    "change the server's copy to the new value before its readers restart".into()
                }
                RotationClass::DataKey => {
                    let previous_keys = var.and_then(|v| v.previous_keys.clone());
                    if previous_keys.is_some() && consent.keep_previous {
                        continue;
                    }
                    if !consent.accept_data_loss {
                        return Err(RotateError::DataKey {
                            name,
                            class,
                            previous_keys,
                        });
                    }
                    about()
                }
            };
            consequences.push(Consequence { name, class, what });
        }
        kept.push(key);
    }
    Ok((kept, skipped, consequences))
}

/// The weakest inferred value a new one is sized from (bits): below it the
/// old value is no model for the new one.
const MIN_INFERRED_BITS: f64 = 96.0;

/// A kind inferred from a value that can be trusted as a model: not a
/// placeholder or published default, strong enough, and not shared with
/// another key (alias or coincidence: only a manifest can say).
fn infer_trusted(doc: &Document, name: &str, value: &SecretValue) -> Result<Kind, RotateError> {
    let v = value.expose();
    let untrustworthy = |why: String| RotateError::Untrustworthy {
        name: name.to_owned(),
        why,
    };
    if crate::check::is_placeholder(v) {
        return Err(untrustworthy("a placeholder".into()));
    }
    if let Some(what) = crate::check::published_default(v) {
        return Err(untrustworthy(format!("a published default ({what})")));
    }
    if let Some(other) = doc
        .entries()
        .find(|e| e.key() != name && e.value().expose() == v)
    {
        return Err(RotateError::SharedValue {
            name: name.to_owned(),
            other: other.key().to_owned(),
        });
    }
    let kind = infer::infer(name, v).ok_or_else(|| RotateError::CannotInfer(name.to_owned()))?;
    let bits = match &kind {
        Kind::Hex { bytes } | Kind::Token { bytes } | Kind::Base64 { bytes, .. } => {
            *bytes as f64 * 8.0
        }
        Kind::Password { length, alphabet } => {
            *length as f64 * (alphabet.chars().len() as f64).log2()
        }
        _ => f64::INFINITY,
    };
    if bits < MIN_INFERRED_BITS {
        return Err(untrustworthy(format!(
            "a weak value ({}, about {bits:.0} bits)",
            infer::describe(&kind)
        )));
    }
    Ok(kind)
}

/// Stack variables present in the file that depend, directly or not, on a
/// rotated key; in stack order.
fn stack_dependents(stack: &Stack, doc: &Document, rotated: &[&str]) -> Vec<String> {
    let mut changing: BTreeSet<&str> = rotated.iter().copied().collect();
    loop {
        let before = changing.len();
        for v in stack.vars() {
            if v.source.inputs().iter().any(|i| changing.contains(i)) {
                changing.insert(&v.name);
            }
        }
        if changing.len() == before {
            break;
        }
    }
    stack
        .vars()
        .iter()
        .filter(|v| {
            changing.contains(v.name.as_str())
                && !rotated.contains(&v.name.as_str())
                && present(doc, &v.name)
        })
        .map(|v| v.name.clone())
        .collect()
}

/// Without a manifest: a URL whose userinfo password is the old value (raw
/// or percent-encoded), or a token signed with it (HS256). An equal value
/// elsewhere is refused earlier ([`RotateError::SharedValue`]).
/// Never a value that merely contains it: `BANNER=MyPassw0rdHint` is not a
/// dependent of `PW=MyPassw0rd`.
fn scanned_dependents(doc: &Document, key: &str, old: &SecretValue) -> Vec<String> {
    let mut out = Vec::new();
    let old = old.expose();
    for e in doc.entries() {
        let v = e.value().expose();
        if e.key() == key || out.iter().any(|o| o == e.key()) {
            continue;
        }
        // Signed tokens start with a base64url `{"` header: `eyJ`.
        let signed =
            v.starts_with("eyJ") && jwt::verify_hs256(v, old.as_bytes(), UNIX_EPOCH).is_ok();
        if userinfo_password(v).is_some_and(|(_, pw)| *pw == old) || signed {
            out.push(e.key().to_owned());
        }
    }
    out
}

/// The password of a URL's userinfo (`scheme://user:PASSWORD@host`), with
/// its byte range in `url`, percent-decoded into a buffer sized once.
fn userinfo_password(url: &str) -> Option<(std::ops::Range<usize>, Zeroizing<String>)> {
    let start = url.find("://")? + 3;
    let rest = &url[start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let at = authority.rfind('@')?;
    let userinfo = &authority[..at];
    let colon = userinfo.find(':')?;
    let range = start + colon + 1..start + at;
    let raw = &url[range.clone()];
    let mut decoded = Zeroizing::new(Vec::with_capacity(raw.len()));
    decoded.extend(percent_encoding::percent_decode_str(raw));
    std::str::from_utf8(&decoded).ok()?;
    let text = String::from_utf8(std::mem::take(&mut *decoded)).expect("checked just above");
    Some((range, Zeroizing::new(text)))
}

/// Applies a plan to the document: new values, dependents, stamps and,
/// with `keep_previous`, the old values (in the list its consumer reads,
/// `previous_keys`, or else `NAME_PREVIOUS`). Only the lines concerned
/// change.
///
/// ```
/// use secrets_core::envfile::Document;
/// use secrets_core::generate::os_rng;
/// use secrets_core::manifest::ManifestFile;
/// use secrets_core::rotate::{apply, plan, Selection};
/// use secrets_core::stack::{Existing, Stack};
///
/// let stack = Stack::from_manifest(ManifestFile::parse(
///     "secrets.toml",
///     "[stack]\ninclude = [\"postgres\"]\n",
/// )?)?;
/// let now = std::time::SystemTime::now();
/// let resolved = stack.resolve(&Existing::new(), &mut os_rng(), now)?;
/// let mut doc = Document::new();
/// for v in stack.vars() {
///     if let Some(value) = resolved.values.get(&v.name) {
///         doc.push(&v.name, value)?;
///     }
/// }
/// let old = doc.get("POSTGRES_PASSWORD").unwrap().clone();
///
/// // POSTGRES_PASSWORD is `stored`: the server's copy is changed by hand.
/// let mut selection = Selection { keys: vec!["POSTGRES_PASSWORD".into()], ..Default::default() };
/// selection.consent.server_changed = true;
/// let plan = plan(&doc, Some(&stack), &selection, now)?;
/// assert_eq!(plan.dependents, ["DATABASE_URL"]);
/// apply(&mut doc, Some(&stack), &plan, true, &mut os_rng(), now)?;
///
/// let new = doc.get("POSTGRES_PASSWORD").unwrap();
/// assert!(!new.same_as(&old));
/// assert!(doc.get("DATABASE_URL").unwrap().expose().contains(new.expose()));
/// assert!(doc.get("POSTGRES_PASSWORD_PREVIOUS").unwrap().same_as(&old));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn apply<R: Rng + CryptoRng + ?Sized>(
    doc: &mut Document,
    stack: Option<&Stack>,
    plan: &Plan,
    keep_previous: bool,
    rng: &mut R,
    now: std::time::SystemTime,
) -> Result<Applied, RotateError> {
    let old: BTreeMap<String, SecretValue> = plan
        .keys
        .iter()
        .map(|k| match doc.get(&k.name) {
            Some(value) => Ok((k.name.clone(), value.clone())),
            None => Err(RotateError::PlanMismatch(k.name.clone())),
        })
        .collect::<Result<_, _>>()?;
    let mut new: BTreeMap<String, SecretValue> = BTreeMap::new();

    // Manifest keys and their dependents: resolve the stack with every
    // changing value left out, so they are generated or recomputed afresh.
    if let Some(s) = stack {
        let changing: BTreeSet<&str> = plan
            .keys
            .iter()
            .filter(|k| !k.inferred)
            .map(|k| k.name.as_str())
            .chain(
                plan.dependents
                    .iter()
                    .filter(|d| s.var(d).is_some())
                    .map(String::as_str),
            )
            .collect();
        if !changing.is_empty() {
            let existing: Existing = s
                .vars()
                .iter()
                .filter(|v| !changing.contains(v.name.as_str()))
                .filter_map(|v| doc.get(&v.name).map(|val| (v.name.clone(), val.clone())))
                .collect();
            let resolved = s.resolve(&existing, rng, now)?;
            for name in changing {
                if let Some(v) = resolved.values.get(name) {
                    new.insert(name.to_owned(), v.clone());
                }
            }
        }
    }

    // Inferred keys: a fresh value of the same shape, then the scanned
    // dependents rewritten from the old value to the new one.
    for k in plan.keys.iter().filter(|k| k.inferred) {
        let fresh = k.kind.generate(rng);
        let before = &old[&k.name];
        for e in doc.entries() {
            let scanned = plan.dependents.iter().any(|d| d == e.key());
            // Manifest variables were recomputed from their definitions above.
            let from_manifest =
                stack.is_some_and(|s| s.var(e.key()).is_some()) && new.contains_key(e.key());
            if !scanned || from_manifest {
                continue;
            }
            let current = new.get(e.key()).unwrap_or(e.value()).expose();
            if let Some(rewritten) =
                rewrite_dependent(current, before.expose(), fresh.expose(), now)
            {
                new.insert(e.key().to_owned(), rewritten);
            }
        }
        new.insert(k.name.clone(), fresh);
    }

    let mut applied = Applied::default();
    let mut record = |name: &str, readers: Vec<crate::envfile::Reader>| {
        if !readers.is_empty() {
            applied.disagreements.push(Disagreement {
                name: name.to_owned(),
                readers,
            });
        }
    };
    for (name, value) in &new {
        let readers = doc.set(name, value)?;
        record(name, readers);
    }
    for k in &plan.keys {
        super::stamp_rotated(doc, &k.name, now);
        if keep_previous {
            let (prev, kept) = match &k.previous_keys {
                // Where its consumer reads previous keys: the old one first,
                // then those already there (newest first), once each.
                Some(list) => (list.clone(), previous_list(doc.get(list), &old[&k.name])),
                None => (format!("{}{PREVIOUS_SUFFIX}", k.name), old[&k.name].clone()),
            };
            let readers = if present(doc, &prev) {
                doc.set(&prev, &kept)?
            } else {
                doc.insert_after(&k.name, &prev, &kept)?
            };
            record(&prev, readers);
            applied.previous.push(prev);
        }
    }
    Ok(applied)
}

/// A comma-separated list of previous keys with `old` first, then the keys
/// `current` holds, in their order, without `old` or empty items.
fn previous_list(current: Option<&SecretValue>, old: &SecretValue) -> SecretValue {
    let mut items = vec![old.expose()];
    if let Some(current) = current {
        for item in current.expose().split(',').map(str::trim) {
            if !item.is_empty() && !items.contains(&item) {
                items.push(item);
            }
        }
    }
    let mut parts = Vec::with_capacity(2 * items.len());
    for (i, item) in items.into_iter().enumerate() {
        parts.extend([if i == 0 { "" } else { "," }, item]);
    }
    SecretValue::from(joined(&parts))
}

/// A dependent's value with `old` replaced by `new`: as a whole value, inside
/// it (raw or percent-encoded), or as the key of an HS256 token, which is
/// re-signed with the same claims and lifetime. `None` when it does not
/// change.
fn rewrite_dependent(
    value: &str,
    old: &str,
    new: &str,
    now: std::time::SystemTime,
) -> Option<SecretValue> {
    if let Ok(mut claims) = jwt::verify_hs256(value, old.as_bytes(), UNIX_EPOCH) {
        let lifetime = match (
            claims.get("exp").and_then(|v| v.as_u64()),
            claims.get("iat").and_then(|v| v.as_u64()),
        ) {
            (Some(exp), Some(iat)) if exp > iat => Some(Duration::from_secs(exp - iat)),
            _ => None,
        };
        claims.remove("iat");
        claims.remove("exp");
        let token = jwt::sign_hs256(new.as_bytes(), &claims, now, lifetime);
        return (token != value).then(|| SecretValue::new(token));
    }
    if value == old {
        return (new != value).then(|| SecretValue::new(new.to_owned()));
    }
    match userinfo_password(value) {
        Some((range, pw)) if *pw == old && old != new => Some(SecretValue::from(joined(&[
            &value[..range.start],
            &Escape::Url.apply(new),
            &value[range.end..],
        ]))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::os_rng;
    use crate::rotate::{last_rotated, stamp, STAMP_SKEW};

    fn doc(s: &str) -> Document {
        Document::parse(s.as_bytes()).unwrap()
    }

    fn sel(keys: &[&str]) -> Selection {
        Selection {
            keys: keys.iter().map(|k| k.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn manifest_rotation_updates_every_dependent() {
        let stack = Stack::from_components(
            "s",
            &[
                "postgres".into(),
                "postgrest".into(),
                "supabase".into(),
                "hasura".into(),
            ],
        )
        .unwrap();
        let resolved = stack
            .resolve(&Existing::new(), &mut os_rng(), crate::at(1000))
            .unwrap();
        let (mut d, _) = crate::envfile::render::new_document(&stack, &resolved, crate::at(1000));
        let p = plan(&d, Some(&stack), &sel(&["JWT_SECRET"]), crate::at(2000)).unwrap();
        assert_eq!(
            p.dependents,
            [
                "PGRST_JWT_SECRET",
                "ANON_KEY",
                "SERVICE_ROLE_KEY",
                "HASURA_GRAPHQL_JWT_SECRET"
            ]
        );
        assert_eq!(p.services, ["auth", "hasura", "kong", "postgrest", "rest"]);
        let old = d.get("JWT_SECRET").unwrap().clone();
        apply(
            &mut d,
            Some(&stack),
            &p,
            true,
            &mut os_rng(),
            crate::at(2000),
        )
        .unwrap();
        let new = d.get("JWT_SECRET").unwrap().expose().to_owned();
        assert_ne!(new, old.expose());
        assert_eq!(d.get("PGRST_JWT_SECRET").unwrap().expose(), new);
        assert!(d
            .get("HASURA_GRAPHQL_JWT_SECRET")
            .unwrap()
            .expose()
            .contains(&new));
        jwt::verify_hs256(
            d.get("ANON_KEY").unwrap().expose(),
            new.as_bytes(),
            crate::at(2001),
        )
        .unwrap();
        assert!(d.get("JWT_SECRET_PREVIOUS").unwrap().same_as(&old));
        assert_eq!(last_rotated(&d, "JWT_SECRET"), Some(crate::at(2000)));
        assert_eq!(
            d.get("POSTGRES_PASSWORD").unwrap().expose(),
            resolved.values["POSTGRES_PASSWORD"].expose()
        );
    }

    // The whole catalog holds a VAPID pair.
    #[cfg(feature = "vapid")]
    #[test]
    fn derived_and_alias_keys_are_refused_with_the_key_to_rotate() {
        let stack = Stack::from_components("s", &["postgrest".into(), "web-push".into()]).unwrap();
        let resolved = stack
            .resolve(&Existing::new(), &mut os_rng(), UNIX_EPOCH)
            .unwrap();
        let (d, _) = crate::envfile::render::new_document(&stack, &resolved, UNIX_EPOCH);
        let e = plan(&d, Some(&stack), &sel(&["PGRST_JWT_SECRET"]), UNIX_EPOCH)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "PGRST_JWT_SECRET cannot be rotated: it is the same value as JWT_SECRET; rotate JWT_SECRET");
        let e = plan(&d, Some(&stack), &sel(&["VAPID_PUBLIC_KEY"]), UNIX_EPOCH)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "VAPID_PUBLIC_KEY cannot be rotated: it is derived from VAPID_PRIVATE_KEY; rotate VAPID_PRIVATE_KEY");
        let p = plan(&d, Some(&stack), &sel(&["VAPID_PRIVATE_KEY"]), UNIX_EPOCH).unwrap();
        assert_eq!(
            p.dependents,
            ["VAPID_PUBLIC_KEY"],
            "a keypair rotates as a whole"
        );
    }

    #[test]
    fn without_a_manifest_untrustworthy_values_are_refused() {
        let d = doc("VAULT_ENC_KEY=your-encryption-key-32-chars-min\nPG_META_CRYPTO_KEY=your-encryption-key-32-chars-min\nPIN=12345678\nSHORT=deadbeef\nWEAK_PW=abcdefghij\nMINIO_ROOT_PASSWORD=minioadmin\nA=Zq8xT2mV9pL4rB7nK1wY6sD3fH0jG5cA\nB=Zq8xT2mV9pL4rB7nK1wY6sD3fH0jG5cA\n");
        for key in [
            "VAULT_ENC_KEY",
            "PG_META_CRYPTO_KEY",
            "PIN",
            "SHORT",
            "WEAK_PW",
            "MINIO_ROOT_PASSWORD",
        ] {
            assert!(
                matches!(
                    plan(&d, None, &sel(&[key]), UNIX_EPOCH),
                    Err(RotateError::Untrustworthy { .. })
                ),
                "{key}"
            );
        }
        let e = plan(&d, None, &sel(&["A"]), UNIX_EPOCH).unwrap_err();
        assert!(
            matches!(&e, RotateError::SharedValue { other, .. } if other == "B"),
            "{e}"
        );
        // Never two secrets made equal: the pair is refused as a pair too.
        assert!(plan(&d, None, &sel(&["A", "B"]), UNIX_EPOCH).is_err());
    }

    #[test]
    fn without_a_manifest_kinds_are_inferred_and_embedded_copies_follow() {
        let secret = "s3cretS3cretS3cretS3cretS3cret01";
        let token = jwt::sign_hs256(
            secret.as_bytes(),
            &serde_json::from_str(r#"{"role":"anon"}"#).unwrap(),
            crate::at(100),
            Some(Duration::from_secs(50)),
        );
        let mut d = doc(&format!(
            "PW=Ab3dEf7hIj9kLm1nOp2qRs4tUv6wXy8z\nURL=postgres://u:Ab3dEf7hIj9kLm1nOp2qRs4tUv6wXy8z@h/db\nJWT={secret}\nTOK={token}\nOTHER=x\nBANNER=Ab3dEf7hIj9kLm1nOp2qRs4tUv6wXy8zHint\n"
        ));
        let p = plan(&d, None, &sel(&["PW", "JWT"]), UNIX_EPOCH).unwrap();
        assert!(p.keys.iter().all(|k| k.inferred));
        assert_eq!(p.dependents, ["URL", "TOK"]);
        apply(&mut d, None, &p, false, &mut os_rng(), crate::at(1000)).unwrap();
        let pw = d.get("PW").unwrap().expose().to_owned();
        assert_eq!(pw.len(), 32);
        assert_eq!(
            d.get("URL").unwrap().expose(),
            format!("postgres://u:{pw}@h/db")
        );
        let claims = jwt::verify_hs256(
            d.get("TOK").unwrap().expose(),
            d.get("JWT").unwrap().expose().as_bytes(),
            crate::at(1001),
        )
        .unwrap();
        assert_eq!(
            (claims["role"].as_str(), claims["exp"].as_u64()),
            (Some("anon"), Some(1050))
        );
        assert_eq!(d.get("OTHER").unwrap().expose(), "x");
        assert_eq!(
            d.get("BANNER").unwrap().expose(),
            "Ab3dEf7hIj9kLm1nOp2qRs4tUv6wXy8zHint",
            "a value that merely contains the old one is not a dependent"
        );
        assert!(matches!(
            plan(&d, None, &sel(&["URL"]), UNIX_EPOCH),
            Err(RotateError::CannotInfer(_))
        ));
        assert!(matches!(
            plan(&d, None, &sel(&["NOPE"]), UNIX_EPOCH),
            Err(RotateError::NotInFile {
                suggestion: None,
                ..
            })
        ));
        assert_eq!(
            plan(&d, None, &sel(&["OTHRE"]), UNIX_EPOCH)
                .unwrap_err()
                .to_string(),
            "OTHRE is not in the file; did you mean `OTHER`?"
        );
        assert!(matches!(
            plan(
                &d,
                None,
                &Selection {
                    all: true,
                    ..Default::default()
                },
                UNIX_EPOCH
            ),
            Err(RotateError::NeedsManifest { due: false })
        ));
    }

    /// A `SystemTime` is any time: before the epoch, or far beyond what a
    /// stamp can write. Neither panics; stamps hold the nearest time they can.
    #[test]
    fn times_out_of_the_stamps_range_do_not_panic() {
        let before = UNIX_EPOCH - Duration::from_secs(86_400);
        let far = UNIX_EPOCH + Duration::from_secs(1 << 62);
        assert_eq!(stamp(before), "rotated: 1970-01-01T00:00:00Z");
        assert_eq!(stamp(far), "rotated: 9999-12-31T23:59:59Z");
        let stack = Stack::from_components("s", &["postgres".into(), "supabase".into()]).unwrap();
        let due = Selection {
            due: true,
            ..Default::default()
        };
        for now in [before, far] {
            let resolved = stack.resolve(&Existing::new(), &mut os_rng(), now).unwrap();
            let (mut d, _) = crate::envfile::render::new_document(&stack, &resolved, now);
            for at in [before, far] {
                let p = plan(&d, Some(&stack), &due, at).unwrap();
                apply(&mut d, Some(&stack), &p, false, &mut os_rng(), at).unwrap();
            }
        }
    }

    #[test]
    fn due_uses_stamps_and_rotate_after() {
        let stack = Stack::from_components("s", &["postgres".into(), "hasura".into()]).unwrap();
        let resolved = stack
            .resolve(&Existing::new(), &mut os_rng(), UNIX_EPOCH)
            .unwrap();
        let (d, _) = crate::envfile::render::new_document(&stack, &resolved, UNIX_EPOCH);
        let due = Selection {
            due: true,
            ..Default::default()
        };
        let names = |now| {
            plan(&d, Some(&stack), &due, now)
                .unwrap()
                .keys
                .into_iter()
                .map(|k| k.name)
                .collect::<Vec<_>>()
        };
        assert!(names(crate::at(89 * 86_400)).is_empty());
        assert_eq!(
            names(crate::at(90 * 86_400)),
            ["HASURA_GRAPHQL_ADMIN_SECRET"]
        );
        // POSTGRES_PASSWORD is due too, but stored: skipped, and said so.
        assert_eq!(
            names(crate::at(400 * 86_400)),
            ["JWT_SECRET", "HASURA_GRAPHQL_ADMIN_SECRET"]
        );
        let skipped = plan(&d, Some(&stack), &due, crate::at(400 * 86_400))
            .unwrap()
            .skipped;
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].name, "POSTGRES_PASSWORD");
        assert_eq!(skipped[0].class.class, RotationClass::Stored);
        assert!(skipped[0]
            .due
            .as_deref()
            .unwrap()
            .starts_with("last rotated 400 days ago"));
        // Stamped a year ahead of the clock: not trusted, so due.
        let (future, _) =
            crate::envfile::render::new_document(&stack, &resolved, crate::at(365 * 86_400));
        let planned = plan(&future, Some(&stack), &due, UNIX_EPOCH).unwrap();
        assert!(planned
            .keys
            .iter()
            .any(|k| k.name == "HASURA_GRAPHQL_ADMIN_SECRET"
                && k.reason.as_deref() == Some("its rotation stamp is in the future")));
        // Within the allowed clock skew it is trusted.
        let (skewed, _) =
            crate::envfile::render::new_document(&stack, &resolved, UNIX_EPOCH + STAMP_SKEW);
        assert!(plan(&skewed, Some(&stack), &due, UNIX_EPOCH)
            .unwrap()
            .keys
            .is_empty());
    }

    fn stack_doc(components: &[&str]) -> (Stack, Document) {
        let comps: Vec<String> = components.iter().map(|c| c.to_string()).collect();
        let stack = Stack::from_components("s", &comps).unwrap();
        let resolved = stack
            .resolve(&Existing::new(), &mut os_rng(), UNIX_EPOCH)
            .unwrap();
        let (d, _) = crate::envfile::render::new_document(&stack, &resolved, UNIX_EPOCH);
        (stack, d)
    }

    /// Named keys: stored needs its live step or `server_changed`; a data
    /// key needs previous keys its consumer reads or `accept_data_loss`;
    /// issued rotates and says what breaks.
    #[test]
    fn named_keys_need_what_their_class_takes() {
        let (stack, d) = stack_doc(&["postgres", "laravel", "n8n", "redis"]);
        let with = |key: &str, consent: Consent| {
            let selection = Selection {
                keys: vec![key.to_owned()],
                consent,
                ..Default::default()
            };
            plan(&d, Some(&stack), &selection, UNIX_EPOCH)
        };
        let none = Consent::default();
        assert!(matches!(
            with("POSTGRES_PASSWORD", none),
            Err(RotateError::Stored {
                live: Some("postgres"),
                ..
            })
        ));
        let live = Consent {
            live_postgres: true,
            ..none
        };
        let p = with("POSTGRES_PASSWORD", live).unwrap();
        assert!(p.consequences.is_empty());
        // An ACL user's password names its own live step.
        let m = crate::manifest::ManifestFile::parse(
            "m.toml",
            "[vars.APP_REDIS_PASSWORD]\nkind = \"password\"\nredis_user = \"app\"\n",
        )
        .unwrap();
        let redis = Stack::from_manifest(m).unwrap();
        let d2 = Document::parse(b"APP_REDIS_PASSWORD=old\n").unwrap();
        let selection = Selection {
            keys: vec!["APP_REDIS_PASSWORD".to_owned()],
            consent: live,
            ..Default::default()
        };
        assert!(matches!(
            plan(&d2, Some(&redis), &selection, UNIX_EPOCH),
            Err(RotateError::Stored {
                live: Some("redis"),
                ..
            })
        ));
        let by_hand = Consent {
            server_changed: true,
            ..none
        };
        let p = with("POSTGRES_PASSWORD", by_hand).unwrap();
        assert_eq!(p.consequences[0].class.class, RotationClass::Stored);
        assert!(matches!(
            with("APP_KEY", none),
            Err(RotateError::DataKey { previous_keys: Some(p), .. }) if p == "APP_PREVIOUS_KEYS"
        ));
        let keep = Consent {
            keep_previous: true,
            ..none
        };
        assert!(with("APP_KEY", keep).unwrap().consequences.is_empty());
        // n8n reads no previous key: keeping one does not make it safe.
        assert!(matches!(
            with("N8N_ENCRYPTION_KEY", keep),
            Err(RotateError::DataKey {
                previous_keys: None,
                ..
            })
        ));
        let loss = Consent {
            accept_data_loss: true,
            ..none
        };
        assert_eq!(
            with("N8N_ENCRYPTION_KEY", loss).unwrap().consequences[0].name,
            "N8N_ENCRYPTION_KEY"
        );
        assert!(with("REDIS_PASSWORD", none)
            .unwrap()
            .consequences
            .is_empty());
    }

    /// `all` rotates restart values only; a restart key whose follower is
    /// issued (a token handed to clients) is skipped too, naming it.
    #[cfg(feature = "vapid")]
    #[test]
    fn all_skips_what_is_not_restart_and_says_why() {
        let (stack, d) = stack_doc(&["postgres", "supabase", "vapid", "redis"]);
        let all = Selection {
            all: true,
            consent: Consent {
                live_postgres: true,
                live_step: Some("postgres"),
                server_changed: true,
                keep_previous: true,
                accept_data_loss: true,
            },
            ..Default::default()
        };
        let p = plan(&d, Some(&stack), &all, UNIX_EPOCH).unwrap();
        let rotated: Vec<&str> = p.keys.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(rotated, ["REDIS_PASSWORD"]);
        assert_eq!(p.dependents, ["REDIS_URL"]);
        let skipped: Vec<(&str, Option<&str>)> = (p.skipped.iter())
            .map(|s| (s.name.as_str(), s.follower.as_ref().map(|f| f.0.as_str())))
            .collect();
        assert_eq!(
            skipped,
            [
                ("POSTGRES_PASSWORD", None),
                ("JWT_SECRET", Some("ANON_KEY")),
                ("VAPID_PRIVATE_KEY", None)
            ]
        );
    }

    /// A key no class describes rotates when named, never in bulk.
    #[test]
    fn an_unclassified_key_is_rotated_only_by_name() {
        let stack = Stack::from_manifest(
            crate::manifest::ManifestFile::parse("m.toml", "[vars.TOKEN]\nkind = \"hex\"\n")
                .unwrap(),
        )
        .unwrap();
        let mut d = doc(&format!("TOKEN={}\n", "ab".repeat(32)));
        let all = Selection {
            all: true,
            ..Default::default()
        };
        let p = plan(&d, Some(&stack), &all, UNIX_EPOCH).unwrap();
        assert!(p.keys.is_empty());
        assert!(p.skipped[0].class.source.is_default());
        let p = plan(&d, Some(&stack), &sel(&["TOKEN"]), UNIX_EPOCH).unwrap();
        apply(&mut d, Some(&stack), &p, false, &mut os_rng(), UNIX_EPOCH).unwrap();
        assert_ne!(d.get("TOKEN").unwrap().expose(), "ab".repeat(32));
    }

    /// Previous keys go first in the consumer's list, once each.
    #[test]
    fn previous_keys_are_listed_newest_first() {
        let list = |current: Option<&str>, old: &str| {
            previous_list(
                current.map(|c| SecretValue::new(c.to_owned())).as_ref(),
                &SecretValue::new(old.to_owned()),
            )
            .expose()
            .to_owned()
        };
        assert_eq!(list(None, "k1"), "k1");
        assert_eq!(list(Some(""), "k2"), "k2");
        assert_eq!(list(Some("k1"), "k2"), "k2,k1");
        assert_eq!(list(Some("k2, k1,,"), "k3"), "k3,k2,k1");
        assert_eq!(list(Some("k1,k2"), "k2"), "k2,k1");
    }
}

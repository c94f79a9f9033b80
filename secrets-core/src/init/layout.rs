//! `secrets write --template`: the `.env` in the template's layout. Its
//! comments, order and settings stay byte for byte; secrets are generated
//! in place, derived values computed, externals emptied for the operator;
//! variables the template lacks are appended.

use rand::{CryptoRng, Rng};

use super::{scan, InitError};
use crate::envfile::render::{append_vars, Disagreement};
use crate::envfile::Document;
use crate::manifest::Source;
use crate::stack::{Existing, ResolveError, Stack};
use crate::SecretValue;

/// Why a template could not be laid out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutError {
    /// The template does not parse, or assigns a key twice.
    #[error(transparent)]
    Template(#[from] InitError),
    /// A value could not be computed.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
}

/// The laid-out document and what was done to it.
#[derive(Debug)]
pub struct LaidOut {
    /// The new `.env`.
    pub doc: Document,
    /// Values some readers will read differently.
    pub disagreements: Vec<Disagreement>,
    /// Secrets generated in the template's place.
    pub generated: Vec<String>,
    /// Derived values computed in place.
    pub computed: Vec<String>,
    /// External variables whose template value was removed.
    pub cleared: Vec<String>,
    /// External variables to set (empty now).
    pub unset: Vec<String>,
    /// Manifest variables the template lacks, appended.
    pub appended: Vec<String>,
    /// Settings kept as the template spells them, which some readers read
    /// differently (`check` reports them as SC011).
    pub kept_disagreeing: Vec<Disagreement>,
}

/// Lays out the template `bytes` (named `file` in messages) with the
/// stack's values. `now` stamps signed tokens and rotation dates.
pub fn lay_out<R: Rng + CryptoRng + ?Sized>(
    file: &str,
    bytes: &[u8],
    stack: &Stack,
    rng: &mut R,
    now: std::time::SystemTime,
) -> Result<LaidOut, LayoutError> {
    let (mut doc, _) = scan::scan(file, bytes)?;
    // Settings are the template's, whatever the manifest says of them, so
    // that what is computed from them matches the file.
    let existing: Existing = stack
        .vars()
        .iter()
        .filter_map(|v| match &v.source {
            Source::Literal(text) => Some((
                v.name.clone(),
                doc.get(&v.name)
                    .cloned()
                    .unwrap_or_else(|| SecretValue::new(text.clone())),
            )),
            _ => None,
        })
        .collect();
    let resolved = stack.resolve(&existing, rng, now)?;
    let empty = SecretValue::new(String::new());
    let mut out = LaidOut {
        doc: Document::new(),
        disagreements: Vec::new(),
        generated: Vec::new(),
        computed: Vec::new(),
        cleared: Vec::new(),
        unset: Vec::new(),
        appended: Vec::new(),
        kept_disagreeing: Vec::new(),
    };
    for (_, entry, raw) in doc.entries_with_raw() {
        let setting = stack
            .var(entry.key())
            .is_some_and(|v| matches!(v.source, Source::Literal(_)));
        let readers = crate::check::disagreeing_readers(entry, raw);
        if setting && !readers.is_empty() {
            out.kept_disagreeing.push(Disagreement {
                name: entry.key().to_owned(),
                readers,
            });
        }
    }
    let mut absent: Vec<&str> = Vec::new();
    // Stamped after the loop, in one pass over the document.
    let mut stamped: Vec<&str> = Vec::new();
    for v in stack.vars() {
        let Some(current) = doc.get(&v.name) else {
            absent.push(&v.name);
            continue;
        };
        let value = match &v.source {
            Source::Literal(_) => continue,
            Source::External => {
                out.unset.push(v.name.clone());
                if current.is_empty() {
                    continue;
                }
                out.cleared.push(v.name.clone());
                &empty
            }
            source => {
                let value = resolved.values.get(&v.name).unwrap_or(&empty);
                if matches!(source, Source::Generate(_)) {
                    out.generated.push(v.name.clone());
                } else {
                    out.computed.push(v.name.clone());
                }
                value
            }
        };
        let readers = doc.set_var(&v.name, value);
        if !readers.is_empty() {
            out.disagreements.push(Disagreement {
                name: v.name.clone(),
                readers,
            });
        }
        if matches!(v.source, Source::Generate(_)) && v.rotate_after.is_some() {
            stamped.push(&v.name);
        }
    }
    // A first generation: the age starts here, but nothing was rotated.
    doc.set_tags_above(
        stamped,
        crate::rotate::GENERATED_TAG,
        &crate::rotate::generated_stamp(now),
    );
    if !absent.is_empty() {
        doc.push_comment("");
        doc.push_comment(&format!("Not in {file}; added by secrets:"));
        out.disagreements
            .extend(append_vars(&mut doc, stack, &resolved, &absent, now));
        out.appended = absent.iter().map(|n| (*n).to_owned()).collect();
        let absent: std::collections::HashSet<&str> = absent.into_iter().collect();
        out.unset.extend(
            resolved
                .missing_external
                .iter()
                .filter(|n| absent.contains(n.as_str()))
                .cloned(),
        );
    }
    out.doc = doc;
    Ok(out)
}

//! `secrets-core`: generate, validate, rotate, write and export the secrets of
//! self-hosted Docker stacks.
//!
//! - [`generate`]: every kind of secret, as its consumer accepts it;
//! - [`manifest`]: `secrets.toml` and the built-in catalog;
//! - [`stack`]: a manifest's variables with their dependencies, and their values;
//! - [`envfile`]: the lossless `.env` document and value quoting;
//! - [`secure_file`]: atomic writes at 0600, owned by a service user;
//!   [`secret_stdout`]: stdout judged as a destination for secrets;
//! - [`crypt`]: age encryption at rest (`.env.age`; the `age` feature);
//! - [`rotate`]: new values with their dependents;
//! - [`suggest`]: "did you mean" for unknown names; [`display`]: names
//!   and URLs fit to show (passwords masked);
//! - [`check`] and [`audit`]: validation and the pre-deploy gate; [`report`]:
//!   their JSON and SARIF forms.
//!
//! Secret material lives in [`SecretValue`]; nothing here prints, and no
//! error message holds a value.
//!
//! # Features
//!
//! A tool pays only for what it uses. On by default: `check` (the rules,
//! reports and strength bound), `audit` (trees; implies `check`),
//! `entropy` (zxcvbn behind the strength bound), `vapid` (P-256 public
//! keys and pair checks), `scram` (PostgreSQL verifiers), `rotate` (plans
//! and their application), `export` (Swarm, Compose, Kubernetes) and
//! `init` (a manifest inferred from a template). Off by default:
//! `postgres` (live rotation) and `age` (encryption at rest). Without any,
//! the crate generates, resolves a manifest, and parses, completes and
//! writes `.env` files.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
// The docs link to items behind features (docs.rs builds them all); a
// build without them has nothing to link to.
#![cfg_attr(
    not(all(feature = "audit", feature = "init")),
    allow(rustdoc::broken_intra_doc_links)
)]

#[cfg(feature = "audit")]
#[cfg_attr(docsrs, doc(cfg(feature = "audit")))]
pub mod audit;
pub mod check;
#[cfg(any(feature = "audit", feature = "export", feature = "rotate"))]
mod child;
#[cfg(feature = "rotate")]
#[cfg_attr(docsrs, doc(cfg(feature = "rotate")))]
pub mod compose;
#[cfg(any(feature = "audit", feature = "init", feature = "rotate"))]
mod compose_text;
pub mod crypt;
pub mod display;
pub mod envfile;
#[cfg(feature = "export")]
#[cfg_attr(docsrs, doc(cfg(feature = "export")))]
pub mod export;
pub mod generate;
pub mod init;
pub mod keys;
#[cfg(feature = "rotate")]
pub(crate) mod live;
pub mod manifest;
pub mod operation_report;
#[cfg(any(feature = "postgres", feature = "mysql", feature = "redis"))]
mod peer;
pub mod postgres;
#[cfg(feature = "check")]
#[cfg_attr(docsrs, doc(cfg(feature = "check")))]
pub mod report;
pub mod rotate;
mod safe_fs;
mod secret;
pub mod secret_stdout;
pub mod secure_file;
pub mod stack;
pub mod stack_source;
#[cfg(feature = "check")]
mod strength;
pub mod suggest;
pub mod write_env;

pub use secret::{LineError, SecretBytes, SecretValue};

/// Not part of the stable API: the file primitives the `secrets` CLI is
/// built on. They bypass the rules [`secure_file`] keeps (a
/// `Dir::replace_file` writes any content at any mode without the lock),
/// and may change or go in any release. Use [`secure_file`] and
/// [`write_env`] instead.
#[doc(hidden)]
pub mod unstable {
    /// The file layer: handles opened without following links, checked
    /// through the fd.
    pub mod safe_fs {
        pub use crate::safe_fs::*;
    }
}

// The crates whose types appear in this API, so that a caller uses the same
// versions: `rand` (the `Rng + CryptoRng` bounds), `secrecy` (conversions of
// `SecretValue`), `zeroize` (`Zeroizing` buffers of plaintext), `serde_json`
// (JSON reports).
pub use rand;
pub use secrecy;
pub use serde_json;
pub use zeroize;

/// An error and its causes on one line, joined by `": "`. This crate's
/// errors do not repeat their source in their `Display`; a cause whose text
/// the line already ends with (a foreign error that does) is left out.
///
/// ```
/// use secrets_core::stack::Stack;
///
/// let e = Stack::load("/nonexistent/secrets.toml".as_ref()).unwrap_err();
/// let line = secrets_core::one_line(&e);
/// assert!(line.starts_with("/nonexistent/secrets.toml: "), "{line}");
/// assert_eq!(line.matches("not found").count(), 1, "{line}");
/// ```
pub fn one_line(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !line.ends_with(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = c.source();
    }
    line
}

/// The README's Rust blocks, compiled and run with the doctests: every API
/// path it names must exist.
#[cfg(all(
    doctest,
    feature = "audit",
    feature = "export",
    feature = "init",
    feature = "rotate"
))]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

#[cfg(test)]
/// A time `secs` seconds after the epoch, for tests.
pub(crate) fn at(secs: u64) -> std::time::SystemTime {
    std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs)
}

/// `t` in whole seconds since the epoch, as the file formats write times
/// (`iat`, `exp`); a time before the epoch is the epoch.
pub(crate) fn epoch_secs(t: std::time::SystemTime) -> u64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `t` as RFC 3339 to the second, held between the epoch and the end of
/// year 9999: humantime panics on earlier times and fails on later ones.
pub(crate) fn rfc3339_seconds(t: std::time::SystemTime) -> String {
    const LAST: u64 = 253_402_300_799;
    let secs = epoch_secs(t).min(LAST);
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .to_string()
}

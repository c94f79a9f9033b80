//! `secrets-core`: generate, validate, rotate, write and export the secrets of
//! self-hosted Docker stacks.
//!
//! - [`generate`]: every kind of secret, as its consumer accepts it;
//! - [`manifest`]: `secrets.toml` and the built-in catalog;
//! - [`stack`]: a manifest's variables with their dependencies, and their values;
//! - [`envfile`]: the lossless `.env` document and value quoting;
//! - [`secure_file`]: atomic writes at 0600, owned by a service user;
//! - [`crypt`]: age encryption at rest (`.env.age`; the `age` feature);
//! - [`rotate`]: new values with their dependents;
//! - [`suggest`]: "did you mean" for unknown names;
//! - [`check`] and [`audit`]: validation and the pre-deploy gate; [`report`]:
//!   their JSON and SARIF forms.
//!
//! Secret material lives in [`SecretValue`]; nothing here prints, and no
//! error message holds a value.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

#[cfg(feature = "audit")]
#[cfg_attr(docsrs, doc(cfg(feature = "audit")))]
pub mod audit;
pub mod check;
mod child;
mod compose_text;
pub mod crypt;
pub mod envfile;
pub mod export;
pub mod generate;
pub mod init;
pub mod keys;
pub mod manifest;
pub mod postgres;
pub mod report;
pub mod rotate;
pub mod safe_fs;
mod secret;
pub mod secure_file;
pub mod stack;
pub mod stack_source;
mod strength;
pub mod suggest;
pub mod write_env;

pub use secret::SecretValue;

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
/// use secrets_core::safe_fs::PrivateDir;
///
/// let e = PrivateDir::create(std::path::Path::new("/nonexistent"), "x").unwrap_err();
/// let line = secrets_core::one_line(&e);
/// assert_eq!(line.matches("No such file or directory").count(), 1, "{line}");
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

/// The operating system's clock in seconds since the epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

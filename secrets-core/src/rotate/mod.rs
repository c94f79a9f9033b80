//! Rotation: new values for chosen keys, with every dependent updated in the
//! same edit (aliases, templates such as a `DATABASE_URL`, derived keys and
//! signed tokens), a `# rotated: <RFC 3339 UTC>` stamp above each rotated key,
//! and optionally the old value kept where its consumer reads it. What a
//! rotation may touch depends on each value's [`class`]: `all` and `due`
//! rotate `restart` values only.

//!
//! The stamps are always read and written; planning and applying a
//! rotation needs the `rotate` feature.

pub mod class;
#[cfg(any(feature = "init", feature = "rotate"))]
pub mod infer;
#[cfg(feature = "rotate")]
mod operation;
#[cfg(feature = "rotate")]
mod plan;

#[cfg(feature = "rotate")]
pub use operation::{
    rotate_env, AdminSource, Database, LiveStep, Resumed, RotateEnvError, RotateReport,
    RotateRequest,
};
#[cfg(feature = "rotate")]
pub use plan::{
    apply, plan, Applied, Consent, Consequence, Plan, PlannedKey, RotateError, Selection, Skipped,
};

#[cfg(feature = "rotate")]
pub use crate::live::{LiveError, RestartReaders};
pub use class::{class_of, ClassSource, Classified, RotationClass};

use std::time::{Duration, SystemTime};

use crate::envfile::Document;

/// The tag of the stamp comment above a rotated key.
pub const STAMP_TAG: &str = "rotated:";

/// Suffix of the variable that keeps the old value with `--keep-previous`.
pub const PREVIOUS_SUFFIX: &str = "_PREVIOUS";

/// How far in the future a `# rotated:` stamp may be (clock skew between
/// hosts) before it is distrusted.
pub const STAMP_SKEW: Duration = Duration::from_secs(300);

/// The stamp text for a moment (to the second).
pub fn stamp(now: SystemTime) -> String {
    format!("{STAMP_TAG} {}", crate::rfc3339_seconds(now))
}

/// When a key was last rotated, from its stamp.
pub fn last_rotated(doc: &Document, key: &str) -> Option<SystemTime> {
    let text = doc
        .tag_above(key, STAMP_TAG)?
        .strip_prefix(STAMP_TAG)?
        .trim();
    humantime::parse_rfc3339_weak(text).ok()
}

#[cfg(any(feature = "check", feature = "rotate"))]
/// How old a key's `# rotated:` stamp is at `now`, against its period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StampAge {
    /// No stamp: the age is unknown.
    Missing,
    /// Later than `now` beyond [`STAMP_SKEW`]: not trusted (it would keep
    /// a key "fresh" forever).
    Future,
    /// At least the period old.
    Overdue(Duration),
    /// Younger than the period.
    Fresh,
}

#[cfg(any(feature = "check", feature = "rotate"))]
/// The age of `key`'s stamp in `doc` at `now`, against `period`.
pub(crate) fn stamp_age(doc: &Document, key: &str, now: SystemTime, period: Duration) -> StampAge {
    match last_rotated(doc, key) {
        None => StampAge::Missing,
        Some(t) if now.checked_add(STAMP_SKEW).is_some_and(|latest| t > latest) => StampAge::Future,
        Some(t) => match now.duration_since(t) {
            Ok(age) if age >= period => StampAge::Overdue(age),
            _ => StampAge::Fresh,
        },
    }
}

#[cfg(any(feature = "check", feature = "rotate"))]
/// Whole days, as messages state ages and periods.
pub(crate) fn days(d: Duration) -> u64 {
    d.as_secs() / 86_400
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stamps are written and read without the `rotate` feature (a
    /// new `.env` is stamped; `check` reads them).
    #[test]
    fn stamps_are_read_back_and_hold_the_nearest_time_they_can() {
        let before = std::time::UNIX_EPOCH - Duration::from_secs(86_400);
        let far = std::time::UNIX_EPOCH + Duration::from_secs(1 << 62);
        assert_eq!(stamp(before), "rotated: 1970-01-01T00:00:00Z");
        assert_eq!(stamp(far), "rotated: 9999-12-31T23:59:59Z");
        let mut doc = Document::parse(b"A=1\nB=2\n").unwrap();
        assert!(doc.set_tag_above("A", STAMP_TAG, &stamp(crate::at(1_700_000_000))));
        assert_eq!(last_rotated(&doc, "A"), Some(crate::at(1_700_000_000)));
        assert_eq!(last_rotated(&doc, "B"), None);
        assert!(doc
            .render()
            .starts_with("# rotated: 2023-11-14T22:13:20Z\nA=1\n"));
    }
}

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

/// The tag of the stamp comment above a value generated for the first
/// time: its age starts there, but it was never rotated. The first
/// rotation replaces it with a [`STAMP_TAG`] stamp.
pub const GENERATED_TAG: &str = "generated:";

/// Suffix of the variable that keeps the old value with `--keep-previous`.
pub const PREVIOUS_SUFFIX: &str = "_PREVIOUS";

/// How far in the future a `# rotated:` stamp may be (clock skew between
/// hosts) before it is distrusted.
pub const STAMP_SKEW: Duration = Duration::from_secs(300);

/// The stamp text for a moment (to the second).
pub fn stamp(now: SystemTime) -> String {
    format!("{STAMP_TAG} {}", crate::rfc3339_seconds(now))
}

/// The stamp text of a first generation (to the second).
pub fn generated_stamp(now: SystemTime) -> String {
    format!("{GENERATED_TAG} {}", crate::rfc3339_seconds(now))
}

/// When a key was last rotated (or, never rotated, generated), from its
/// stamp.
pub fn last_rotated(doc: &Document, key: &str) -> Option<SystemTime> {
    let text = [STAMP_TAG, GENERATED_TAG]
        .into_iter()
        .find_map(|tag| doc.tag_above(key, tag)?.strip_prefix(tag))?
        .trim();
    humantime::parse_rfc3339_weak(text).ok()
}

/// Stamps `key` as rotated at `now`, replacing the stamp above it (a
/// rotation or a first generation's) when there is one.
#[cfg_attr(not(any(feature = "check", feature = "rotate")), allow(dead_code))]
pub(crate) fn stamp_rotated(doc: &mut Document, key: &str, now: SystemTime) {
    let tag = match doc.tag_above(key, GENERATED_TAG) {
        Some(_) => GENERATED_TAG,
        None => STAMP_TAG,
    };
    doc.set_tag_above(key, tag, &stamp(now));
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
        // A first generation's stamp gives the age; rotating replaces it.
        assert!(doc.set_tag_above(
            "B",
            GENERATED_TAG,
            &generated_stamp(crate::at(1_600_000_000))
        ));
        assert_eq!(last_rotated(&doc, "B"), Some(crate::at(1_600_000_000)));
        stamp_rotated(&mut doc, "B", crate::at(1_700_000_000));
        assert_eq!(last_rotated(&doc, "B"), Some(crate::at(1_700_000_000)));
        assert!(!doc.render().contains("generated:"), "{}", *doc.render());
        assert!(doc
            .render()
            .starts_with("# rotated: 2023-11-14T22:13:20Z\nA=1\n"));
    }
}

//! "Did you mean": the known name closest to one that is not known (a
//! mistyped component, kind or key).

/// The candidate closest to `name`, when one is close enough to be a typo of
/// it; `None` otherwise, so that a name unlike every candidate gets no
/// misleading guess.
///
/// Close enough: at most one edit (insertion, deletion, substitution or
/// transposition, ignoring case) per three characters of `name`, at least
/// one, and fewer edits than `name` has characters. The first of equally
/// close candidates wins, so the answer follows the candidates' order.
///
/// ```
/// use secrets_core::suggest::closest;
/// let known = ["postgres", "postgrest", "redis"];
/// assert_eq!(closest("postgress", known).as_deref(), Some("postgres"));
/// assert_eq!(closest("mysql", known), None);
/// ```
pub fn closest<I>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    let wanted = name.to_lowercase();
    let len = wanted.chars().count();
    let limit = (len / 3).max(1).min(len.saturating_sub(1));
    let mut best: Option<(usize, String)> = None;
    for candidate in candidates {
        let candidate = candidate.as_ref();
        if candidate == name {
            continue;
        }
        let distance = strsim::damerau_levenshtein(&wanted, &candidate.to_lowercase());
        if distance <= limit && best.as_ref().is_none_or(|(d, _)| distance < *d) {
            best = Some((distance, candidate.to_owned()));
        }
    }
    best.map(|(_, c)| c)
}

/// `; did you mean `NAME`?` after an error message, or nothing.
pub(crate) fn did_you_mean(suggestion: &Option<String>) -> String {
    suggestion
        .as_deref()
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn close_names_are_suggested_and_distant_ones_are_not() {
        let keys = ["POSTGRES_PASSWORD", "POSTGRES_USER", "REDIS_PASSWORD"];
        assert_eq!(
            closest("POSTGRES_PASWORD", keys).as_deref(),
            Some("POSTGRES_PASSWORD")
        );
        // Case alone is one likely mistake.
        assert_eq!(
            closest("postgres_user", keys).as_deref(),
            Some("POSTGRES_USER")
        );
        assert_eq!(closest("MINIO_ROOT_PASSWORD", keys), None);
        // Short names: one edit at most, never a wholly different name.
        assert_eq!(closest("jtw", ["jwt", "hex"]).as_deref(), Some("jwt"));
        assert_eq!(closest("A", ["B"]), None);
        assert_eq!(closest("", ["B"]), None);
        // The nearest wins over an earlier, farther one.
        assert_eq!(
            closest("postgrest", ["postgrest22", "postgres"]).as_deref(),
            Some("postgres")
        );
    }
}

//! SC004: a value that is a placeholder, not a secret (`change-me`,
//! `your_..._here`, `<...>`, `xxx`, `...`, `xoxb-...`).

#[cfg(feature = "check")]
use super::{EnvCheck, EnvContext, Finding, Rule, RuleId, Severity};

#[cfg(feature = "check")]
pub struct Placeholder;

#[cfg(feature = "check")]
static RULE: Rule = Rule {
    id: RuleId::Placeholder,
    name: "placeholder",
    severity: Severity::High,
    summary: "A secret still holds a placeholder from an example file",
    help: "replace it: `secrets rotate KEY` for generated secrets, the provider's value for external ones",
};

/// Words that mark a placeholder anywhere in a value (ASCII lowercase).
const WORDS: [&[u8]; 16] = [
    b"changeme",
    b"change-me",
    b"change_me",
    b"change-this",
    b"change_this",
    b"changethis",
    b"replace-me",
    b"replace_me",
    b"placeholder",
    b"todo",
    b"fixme",
    b"example",
    b"dummy",
    b"insert",
    b"fill-in",
    b"fill_in",
];

/// Whole values that are placeholders (ASCII lowercase).
const EXACT: [&[u8]; 12] = [
    b"password",
    b"secret",
    b"pass",
    b"admin",
    b"test",
    b"default",
    b"token",
    b"key",
    b"changeit",
    b"none",
    b"null",
    b"xxx",
];

/// For each byte, the [`WORDS`] starting with it in either case: one table
/// lookup per position instead of one substring search per word, since
/// `check` asks this of every value several times.
static WORDS_BY_FIRST_BYTE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < WORDS.len() {
        let first = WORDS[i][0];
        table[first as usize] |= 1 << i;
        table[first.to_ascii_uppercase() as usize] |= 1 << i;
        i += 1;
    }
    table
};

/// Whether a value has the shape of a placeholder (ASCII case ignored).
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim().as_bytes();
    if v.is_empty() {
        return false;
    }
    let starts = |p: &[u8]| v.len() >= p.len() && v[..p.len()].eq_ignore_ascii_case(p);
    let ends = |p: &[u8]| v.len() >= p.len() && v[v.len() - p.len()..].eq_ignore_ascii_case(p);
    (starts(b"<") && ends(b">"))
        || (starts(b"${") && ends(b"}"))
        || ends(b"...")
        || v.iter()
            .all(|c| matches!(c.to_ascii_lowercase(), b'x' | b'*' | b'.' | b'-'))
        || (starts(b"your") && v.iter().any(|&c| c == b'_' || c == b'-'))
        || ends(b"_here")
        || ends(b"-here")
        || starts(b"a_strong")
        || contains_word(v)
        || EXACT.iter().any(|e| v.eq_ignore_ascii_case(e))
}

fn contains_word(v: &[u8]) -> bool {
    v.iter().enumerate().any(|(at, &b)| {
        let mut words = WORDS_BY_FIRST_BYTE[usize::from(b)];
        while words != 0 {
            let w = WORDS[words.trailing_zeros() as usize];
            if v[at..].len() >= w.len() && v[at..at + w.len()].eq_ignore_ascii_case(w) {
                return true;
            }
            words &= words - 1;
        }
        false
    })
}

#[cfg(feature = "check")]
impl EnvCheck for Placeholder {
    fn rule(&self) -> &'static Rule {
        &RULE
    }

    fn run(&self, cx: &EnvContext<'_>, out: &mut Vec<Finding>) {
        for (line, key, value) in super::secret_entries(cx) {
            if is_placeholder(value) {
                out.push(Finding::new(
                    &RULE,
                    cx.path,
                    Some(line),
                    Some(key),
                    format!("{key} holds a placeholder, not a secret"),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_placeholder;
    use proptest::prelude::*;

    /// The definition before the table-driven search, kept as the reference.
    fn by_substrings(value: &str) -> bool {
        let v = value.trim().to_ascii_lowercase();
        if v.is_empty() {
            return false;
        }
        let words = super::WORDS.map(|w| std::str::from_utf8(w).unwrap());
        let exact = super::EXACT.map(|w| std::str::from_utf8(w).unwrap());
        (v.starts_with('<') && v.ends_with('>'))
            || (v.starts_with("${") && v.ends_with('}'))
            || v.ends_with("...")
            || v.chars()
                .all(|c| c == 'x' || c == '*' || c == '.' || c == '-')
            || (v.starts_with("your") && (v.contains('_') || v.contains('-')))
            || v.ends_with("_here")
            || v.ends_with("-here")
            || v.starts_with("a_strong")
            || words.iter().any(|w| v.contains(w))
            || exact.contains(&v.as_str())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn the_table_search_agrees_with_the_substring_search(
            parts in proptest::collection::vec(prop_oneof![
                "[a-zA-Z0-9_.*<>${}-]{0,6}",
                "(changeme|CHANGE-me|change_this|Replace_Me|placeholder|todo|FIXME|example|dummy|insert|fill-in|fill_in|changethis)",
                "(your|YOUR|a_strong|_here|-HERE|\\.\\.\\.|password|Secret|xxx|none|key|é| |\t)",
            ], 0..5)
        ) {
            let value = parts.concat();
            prop_assert_eq!(is_placeholder(&value), by_substrings(&value), "{:?}", value);
        }
    }

    #[test]
    fn seed_placeholders() {
        for v in [
            "change-this-strong",
            "a_strong_password_here",
            "your_openai_api_key",
            "<generate-a-long-random-secret>",
            "<POSTGRES_SUPERPASS>",
            "xoxb-...",
            "ghp_...",
            "secret_...",
            "...",
            "xxx",
            "your-api-token",
            "CHANGEME",
        ] {
            assert!(is_placeholder(v), "{v}");
        }
        for v in [
            "k8BhznHshT19xmlQzBwdSqP61ArBj4qR",
            "td0e04GtervOSAPUIX9xlyDE3fTQfIhr6BykK72gy1w",
            "",
        ] {
            assert!(!is_placeholder(v), "{v}");
        }
    }
}

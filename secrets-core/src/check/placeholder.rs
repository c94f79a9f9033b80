//! SC004: a value that is a placeholder, not a secret (`change-me`,
//! `your_..._here`, `<...>`, `xxx`, `...`, `xoxb-...`).

use super::{EnvCheck, EnvContext, Finding, Rule, RuleId, Severity};

pub struct Placeholder;

static RULE: Rule = Rule {
    id: RuleId::Placeholder,
    name: "placeholder",
    severity: Severity::High,
    summary: "A secret still holds a placeholder from an example file",
    help: "replace it: `secrets rotate KEY` for generated secrets, the provider's value for external ones",
};

/// Whether a value has the shape of a placeholder.
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    if v.is_empty() {
        return false;
    }
    let words = [
        "changeme",
        "change-me",
        "change_me",
        "change-this",
        "change_this",
        "changethis",
        "replace-me",
        "replace_me",
        "placeholder",
        "todo",
        "fixme",
        "example",
        "dummy",
        "insert",
        "fill-in",
        "fill_in",
    ];
    let exact = [
        "password", "secret", "pass", "admin", "test", "default", "token", "key", "changeit",
        "none", "null", "xxx",
    ];
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

//! Formats a template states in its own words: a generator command
//! (`openssl rand -hex 32`), a length ("must be 32 characters"), an
//! alphabet ("use only A-Za-z0-9"), or another variable it must equal.

use crate::generate::{Alphabet, Kind};

/// A length stated for a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Length {
    /// Exactly this many characters.
    Exact(usize),
    /// At least this many.
    AtLeast(usize),
}

/// What one piece of text says, each with the words that say it.
#[derive(Debug, Default, Clone)]
pub(crate) struct Stated {
    /// A generator command, and the kind it makes.
    pub generator: Option<(Kind, String)>,
    /// A length.
    pub length: Option<(Length, String)>,
    /// Letters and digits only.
    pub alphanumeric: Option<String>,
    /// At least one symbol (a character neither letter nor digit).
    pub symbol: Option<String>,
}

/// The number right after `at` in `text` (spaces skipped).
fn number_after(text: &str) -> Option<usize> {
    let digits: String = text
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok().filter(|n| (1..=4096).contains(n))
}

/// Reads a generator command from `text`.
fn generator(text: &str) -> Option<(Kind, String)> {
    let lower = text.to_ascii_lowercase();
    if let Some(at) = lower.find("openssl rand") {
        let rest = &lower[at + "openssl rand".len()..];
        let words: Vec<&str> = rest.split_whitespace().take(3).collect();
        let (flag, n) = match words.as_slice() {
            [flag, n, ..] => (*flag, n.trim_end_matches(|c: char| !c.is_ascii_digit())),
            _ => return None,
        };
        let n: usize = n.parse().ok().filter(|n| (1..=1024).contains(n))?;
        let kind = match flag {
            "-hex" => Kind::Hex { bytes: n },
            "-base64" => Kind::Base64 {
                bytes: n,
                urlsafe: false,
                padded: true,
            },
            _ => return None,
        };
        let shown = format!("openssl rand {flag} {n}");
        return Some((kind, shown));
    }
    for (call, make) in [
        (
            "token_urlsafe(",
            (|n| Kind::Token { bytes: n }) as fn(usize) -> Kind,
        ),
        ("token_hex(", |n| Kind::Hex { bytes: n }),
        ("randomBytes(", |n| Kind::Hex { bytes: n }),
    ] {
        if let Some(at) = text.find(call) {
            let n = number_after(&text[at + call.len()..])?;
            if n < 16 {
                return None;
            }
            return Some((make(n), format!("{call}{n})")));
        }
    }
    for (words, kind, shown) in [
        ("rake secret", Kind::Hex { bytes: 64 }, "rake secret"),
        ("rails secret", Kind::Hex { bytes: 64 }, "rails secret"),
        (
            "get_random_secret_key",
            Kind::DjangoSecretKey { length: 64 },
            "get_random_secret_key",
        ),
        ("fernet.generate_key", Kind::Fernet, "Fernet.generate_key"),
        (
            "generate_vapid_key",
            Kind::VapidPrivateKey,
            "generate_vapid_key",
        ),
        ("uuidgen", Kind::Uuid, "uuidgen"),
    ] {
        if lower.contains(words) {
            return Some((kind, shown.to_owned()));
        }
    }
    None
}

/// Reads a length: "32 characters", "(32 character)", "32-chars-min",
/// "at least 32 characters", "minimum of 64 chars".
fn length(text: &str) -> Option<(Length, String)> {
    // Words with their places in `text`, for quoting it as written.
    let words: Vec<(usize, &str)> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .scan(0, |at, w| {
            let start = *at;
            *at += w.len() + 1;
            Some((start, w))
        })
        .filter(|(_, w)| !w.is_empty())
        .collect();
    let lower = |i: usize| {
        words
            .get(i)
            .map_or(String::new(), |(_, w)| w.to_ascii_lowercase())
    };
    for (i, (start, w)) in words.iter().enumerate() {
        let Ok(n) = w.parse::<usize>() else { continue };
        if !lower(i + 1).starts_with("char") || !(8..=4096).contains(&n) {
            continue;
        }
        let before = format!("{} {}", lower(i.wrapping_sub(2)), lower(i.wrapping_sub(1)));
        let after = lower(i + 2);
        let at_least = before.contains("least")
            || before.contains("min")
            || after.starts_with("min")
            || (after == "or" && lower(i + 3) == "more");
        let first = (i.saturating_sub(2)..i)
            .find(|&j| {
                let w = lower(j);
                w == "at" || w == "least" || w.starts_with("min")
            })
            .map_or(*start, |j| words[j].0);
        let last = if after.starts_with("min") {
            i + 2
        } else {
            i + 1
        };
        let (end_start, end_word) = words[last];
        let shown = text[first..end_start + end_word.len()].to_owned();
        let len = if at_least {
            Length::AtLeast(n)
        } else {
            Length::Exact(n)
        };
        return Some((len, shown));
    }
    None
}

fn alphanumeric(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    [
        "a-za-z0-9",
        "letters and numbers",
        "letters and digits",
        "alphanumeric",
        "no special characters",
        "not use any special characters",
        "not use special characters",
        "without special characters",
    ]
    .iter()
    .find(|p| lower.contains(**p))
    .map(|p| (*p).to_owned())
}

/// "must contain a symbol", "at least one special character": said of
/// the value, not "no special characters" (which [`alphanumeric`] reads).
fn symbol(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    if alphanumeric(text).is_some() {
        return None;
    }
    [
        "symbol",
        "special character",
        "special char",
        "non-alphanumeric",
    ]
    .iter()
    .find(|p| lower.contains(**p))
    .map(|p| (*p).to_owned())
}

/// What `text` states.
pub(crate) fn read(text: &str) -> Stated {
    Stated {
        generator: generator(text),
        length: length(text),
        alphanumeric: alphanumeric(text),
        symbol: symbol(text),
    }
}

/// The variable that `text` says this one equals ("Should be the same as
/// WEBAPP_URL"), when `is_name` says it may be.
pub(crate) fn same_as(text: &str, is_name: impl Fn(&str) -> bool) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    // Said of the variable itself, not of something else set "to the same
    // as" it (Outline's CDN origin).
    let at = [
        "should be the same as ",
        "must be the same as ",
        "same value as ",
        "must equal ",
        "must match ",
    ]
    .iter()
    .find_map(|p| lower.find(p).map(|i| i + p.len()))?;
    let word: String = text[at..]
        .trim_start_matches(['`', '"', '\''])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    is_name(&word).then_some(word)
}

/// The kind a stated length (and alphabet) asks for.
pub(crate) fn kind_for_length(len: Length) -> Kind {
    match len {
        // A value of an exact length is a raw key (its characters are its bytes).
        Length::Exact(length) => Kind::RawKey {
            length,
            alphabet: Alphabet::Alphanumeric,
        },
        // Exactly the minimum satisfies a consumer that says "at least" and
        // one whose documentation says "exactly" elsewhere (Supabase's
        // VAULT_ENC_KEY); 32 characters at the least.
        Length::AtLeast(n) => Kind::Password {
            length: n.max(32),
            alphabet: Alphabet::Alphanumeric,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators() {
        let g = generator;
        assert_eq!(
            g("You can use: `openssl rand -hex 32` to generate one"),
            Some((Kind::Hex { bytes: 32 }, "openssl rand -hex 32".into()))
        );
        assert_eq!(
            g("openssl rand -base64 42").unwrap().0,
            Kind::Base64 {
                bytes: 42,
                urlsafe: false,
                padded: true
            }
        );
        assert_eq!(
            g(r#"Generate with: python3 -c "import secrets; print(secrets.token_urlsafe(64))""#)
                .unwrap(),
            (Kind::Token { bytes: 64 }, "token_urlsafe(64)".into())
        );
        assert_eq!(
            g("Generate each with the `RAILS_ENV=production bundle exec rake secret` task")
                .unwrap()
                .0,
            Kind::Hex { bytes: 64 }
        );
        assert!(g("openssl rand -hex").is_none());
        assert!(g("use a long random string").is_none());
    }

    #[test]
    fn lengths() {
        let l = |t: &str| length(t).map(|(l, _)| l);
        assert_eq!(
            l("Sensitive Data Encryption Key (32 character)"),
            Some(Length::Exact(32))
        );
        assert_eq!(l("must be 32 characters"), Some(Length::Exact(32)));
        assert_eq!(
            l("your-encryption-key-32-chars-min"),
            Some(Length::AtLeast(32))
        );
        assert_eq!(
            l("your-super-secret-jwt-token-with-at-least-32-characters-long"),
            Some(Length::AtLeast(32))
        );
        assert_eq!(
            l("data encryption key with 32 char"),
            Some(Length::Exact(32))
        );
        assert_eq!(l("port 5432"), None);
        assert_eq!(
            length("your-encryption-key-32-chars-min").unwrap().1,
            "32-chars-min"
        );
        assert_eq!(
            length("token-with-at-least-32-characters-long").unwrap().1,
            "at-least-32-characters"
        );
        assert_eq!(length("Key (32 character)").unwrap().1, "32 character");
        assert_eq!(l("max 4 chars"), None);
    }

    #[test]
    fn alphabets_and_aliases() {
        assert!(read("use only A-Za-z0-9").alphanumeric.is_some());
        assert!(read("must contain at least one symbol").symbol.is_some());
        assert!(read("Do not use special characters").symbol.is_none());
        assert!(read("no special characters").symbol.is_none());
        assert_eq!(
            same_as(
                "Required for next-auth. Should be the same as WEBAPP_URL",
                |n| ["WEBAPP_URL", "X"].contains(&n)
            ),
            Some("WEBAPP_URL".into())
        );
        assert_eq!(same_as("same as the other one", |n| n == "X"), None);
        assert_eq!(
            same_as("the origin server should be set to the same as URL", |n| n
                == "URL"),
            None
        );
    }
}

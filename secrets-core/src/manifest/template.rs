//! Templates: values built from other variables, such as
//! `postgresql://${POSTGRES_USER}:${POSTGRES_PASSWORD}@postgres:5432/${POSTGRES_DB}`.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use zeroize::Zeroizing;

use crate::SecretValue;

/// How each interpolated value is escaped.
///
/// A manifest may say it with `escape = "url" | "json" | "none"`; when it does
/// not, a template that starts with `scheme://` is a URL, one that starts with
/// `{` or `[` is JSON, and any other is plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// Percent-encode everything but RFC 3986 unreserved characters, so a
    /// password never ends a URL's userinfo early.
    Url,
    /// Escape as the inside of a JSON string.
    Json,
    /// Insert as is.
    None,
}

impl Escape {
    /// Parses a manifest name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "url" => Some(Escape::Url),
            "json" => Some(Escape::Json),
            "none" => Some(Escape::None),
            _ => None,
        }
    }

    /// What a template without `escape` gets.
    pub fn infer(template: &str) -> Self {
        let t = template.trim_start();
        let scheme_len = t.find("://").unwrap_or(0);
        let is_url = scheme_len > 0
            && t.as_bytes()[0].is_ascii_alphabetic()
            && t[..scheme_len]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b));
        if is_url {
            Escape::Url
        } else if t.starts_with('{') || t.starts_with('[') {
            Escape::Json
        } else {
            Escape::None
        }
    }

    /// Escapes one interpolated value, in a buffer sized once for the
    /// worst case (it holds the value, and growth would leave copies).
    pub fn apply(self, value: &str) -> Zeroizing<String> {
        /// RFC 3986 unreserved: `A-Za-z0-9-._~` stay as they are.
        const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'.')
            .remove(b'_')
            .remove(b'~');
        match self {
            Escape::Url => {
                let mut out = Zeroizing::new(String::with_capacity(3 * value.len()));
                for piece in utf8_percent_encode(value, COMPONENT) {
                    out.push_str(piece);
                }
                out
            }
            Escape::Json => json_escaped(value),
            Escape::None => Zeroizing::new(value.to_owned()),
        }
    }
}

/// The inside of a JSON string for `value`, escaped as serde_json does:
/// `"`, `\\`, the short forms of control characters, `\u00XX` for others.
fn json_escaped(value: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(6 * value.len()));
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[(c as usize) >> 4]));
                out.push(char::from(HEX[(c as usize) & 15]));
            }
            c => out.push(c),
        }
    }
    out
}

/// A literal piece or a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Text copied as is.
    Text(String),
    /// `${NAME}`: the value of another variable.
    Var(String),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The pieces in order.
    pub parts: Vec<Part>,
    /// How references are escaped.
    pub escape: Escape,
}

/// Why a template did not parse: the byte offset in the template and why.
/// `Display` is the message alone: the caller knows where the template is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    /// Byte offset of the problem within the template string.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl Template {
    /// Parses `${NAME}` references; `$$` is a literal `$`.
    pub fn parse(text: &str, escape: Escape) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        let mut offset = 0;
        while let Some(i) = rest.find('$') {
            literal.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            if let Some(tail) = after.strip_prefix('$') {
                literal.push('$');
                offset += i + 2;
                rest = tail;
            } else if let Some(body) = after.strip_prefix('{') {
                let end = body.find('}').ok_or(TemplateError {
                    offset: offset + i,
                    message: "`${` is not closed by `}`".into(),
                })?;
                let name = &body[..end];
                if !super::is_env_name(name) {
                    return Err(TemplateError {
                        offset: offset + i,
                        message: format!("`${{{name}}}` is not a variable name (A-Z, a-z, 0-9, _; not starting with a digit)"),
                    });
                }
                if !literal.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut literal)));
                }
                parts.push(Part::Var(name.to_owned()));
                let consumed = i + 2 + end + 1;
                offset += consumed;
                rest = &rest[consumed..];
            } else {
                return Err(TemplateError {
                    offset: offset + i,
                    message: "a `$` must start `${NAME}`; write `$$` for a literal `$`".into(),
                });
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Template { parts, escape })
    }

    /// Names referenced, in order, with repeats.
    pub fn references(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(n) => Some(n.as_str()),
            Part::Text(_) => None,
        })
    }

    /// Renders with `lookup`; `None` when a referenced value is missing.
    /// The escaped values first, then the whole in a buffer of its final
    /// size: nothing holding a value grows.
    pub fn render<'a>(&self, lookup: impl Fn(&str) -> Option<&'a str>) -> Option<SecretValue> {
        let escaped: Vec<Zeroizing<String>> = self
            .parts
            .iter()
            .filter_map(|p| match p {
                Part::Var(n) => Some(lookup(n).map(|v| self.escape.apply(v))),
                Part::Text(_) => None,
            })
            .collect::<Option<_>>()?;
        let mut values = escaped.iter();
        let pieces: Vec<&str> = self
            .parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.as_str(),
                Part::Var(_) => values.next().expect("one per reference").as_str(),
            })
            .collect();
        Some(SecretValue::from(crate::secret::joined(&pieces)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_errors_are_std_errors() {
        let e: Box<dyn std::error::Error> =
            Box::new(Template::parse("x${B", Escape::None).unwrap_err());
        assert_eq!(e.to_string(), "`${` is not closed by `}`");
        assert!(e.source().is_none());
    }

    #[test]
    fn url_templates_percent_encode_each_value() {
        let t = Template::parse(
            "postgresql://${U}:${P}@db:5432/${D}",
            Escape::infer("postgresql://"),
        )
        .unwrap();
        assert_eq!(t.escape, Escape::Url);
        let out = t
            .render(|n| match n {
                "U" => Some("app"),
                "P" => Some("p@ss:w/rd%?#$ é"),
                "D" => Some("main"),
                _ => None,
            })
            .unwrap();
        assert_eq!(
            out.expose(),
            "postgresql://app:p%40ss%3Aw%2Frd%25%3F%23%24%20%C3%A9@db:5432/main"
        );
    }

    #[test]
    fn json_templates_escape_quotes() {
        let t = Template::parse(r#"{"type":"HS256","key":"${K}"}"#, Escape::infer("{")).unwrap();
        assert_eq!(
            t.render(|_| Some("a\"b\\c")).unwrap().expose(),
            r#"{"type":"HS256","key":"a\"b\\c"}"#
        );
    }

    #[test]
    fn json_escaping_is_serde_json_s() {
        let all: String = (0u32..0x80)
            .filter_map(char::from_u32)
            .chain(['é', '\u{2028}'])
            .collect();
        let quoted = serde_json::Value::from(all.as_str()).to_string();
        assert_eq!(json_escaped(&all).as_str(), &quoted[1..quoted.len() - 1]);
    }

    #[test]
    fn dollar_rules() {
        let t = Template::parse("a$$b${X}c", Escape::None).unwrap();
        assert_eq!(t.render(|_| Some("1")).unwrap().expose(), "a$b1c");
        assert_eq!(t.references().collect::<Vec<_>>(), ["X"]);
        assert_eq!(
            Template::parse("ab${X", Escape::None).unwrap_err().offset,
            2
        );
        assert_eq!(Template::parse("ab$X", Escape::None).unwrap_err().offset, 2);
        assert_eq!(
            Template::parse("${X}${1A}", Escape::None)
                .unwrap_err()
                .offset,
            4
        );
        assert!(t.render(|_| None).is_none());
    }

    #[test]
    fn inference() {
        assert_eq!(Escape::infer("mongodb://x"), Escape::Url);
        assert_eq!(Escape::infer("[1]"), Escape::Json);
        assert_eq!(Escape::infer("host:${X}"), Escape::None);
        assert_eq!(Escape::infer("://x"), Escape::None);
    }
}

//! Text for people: names with their control characters made visible, and
//! connection URLs with their passwords masked. The `Display` forms of this
//! crate's value types ([`crate::check::Finding`],
//! [`crate::secure_file::Change`], [`crate::generate::Kind`], ...) are the
//! lines the `secrets` CLI prints, built from these.

use std::borrow::Cow;

/// An owner as `user:group`, a number where an id has no name (as
/// [`crate::secure_file::Change`] shows a change of owner).
///
/// ```
/// assert_eq!(secrets_core::display::owner_names((0, 0)), "root:root");
/// ```
pub fn owner_names((uid, gid): (u32, u32)) -> String {
    use nix::unistd::{Gid, Group, Uid, User};
    let user = User::from_uid(Uid::from_raw(uid)).ok().flatten();
    let group = Group::from_gid(Gid::from_raw(gid)).ok().flatten();
    let user = user.map_or_else(|| uid.to_string(), |u| u.name);
    let group = group.map_or_else(|| gid.to_string(), |g| g.name);
    format!("{user}:{group}")
}

/// What a masked password or query value is shown as.
pub const MASK: &str = "****";

/// Control characters (a newline in a file name, a terminal escape) and
/// bidirectional overrides written visibly, so a name can never forge a
/// line of a report or repaint the terminal: `\n`, `\x1b`, `\u{202e}`.
///
/// ```
/// use secrets_core::display::escape_controls;
///
/// assert_eq!(escape_controls("a\n/.env\x1b[2J"), "a\\n/.env\\x1b[2J");
/// ```
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    let bidi = |c: char| matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !text.chars().any(|c| c.is_control() || bidi(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() && (c as u32) < 0x100 => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() || bidi(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `url` fit to show: the password of its userinfo and the values of
/// secret-named parameters (`password=`, `sslpassword=`, `secret=`,
/// `token=`, `...key=`, in a query or a `key=value` connection string)
/// replaced by [`MASK`]. The user name, host, port, path and other
/// parameters stay, so the URL still says where it points. Covers every
/// URL the catalog's templates produce (their values are percent-encoded,
/// so a password never ends the userinfo early).
///
/// ```
/// use secrets_core::display::mask_url;
///
/// assert_eq!(mask_url("postgres://app:s3cret@db/app"), "postgres://app:****@db/app");
/// assert_eq!(mask_url("redis://:pw@redis:6379/0"), "redis://:****@redis:6379/0");
/// assert_eq!(mask_url("mysql://db/app?user=app&password=pw"), "mysql://db/app?user=app&password=****");
/// assert_eq!(mask_url("host=db password=pw dbname=app"), "host=db password=**** dbname=app");
/// ```
pub fn mask_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    if let Some(i) = url.find("://") {
        let (scheme, after) = url.split_at(i + 3);
        out.push_str(scheme);
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        let (authority, tail) = after.split_at(end);
        match authority.rsplit_once('@') {
            Some((userinfo, host)) => {
                match userinfo.split_once(':') {
                    Some((user, password)) if !password.is_empty() => {
                        out.push_str(user);
                        out.push(':');
                        out.push_str(MASK);
                    }
                    _ => out.push_str(userinfo),
                }
                out.push('@');
                out.push_str(host);
            }
            None => out.push_str(authority),
        }
        rest = tail;
    }
    mask_parameters(rest, &mut out);
    out
}

/// Copies `text` to `out` with the value of each secret-named `key=value`
/// masked; pairs are separated by `?`, `&`, `;` or whitespace.
fn mask_parameters(text: &str, out: &mut String) {
    let is_separator = |c: char| matches!(c, '?' | '&' | ';' | '#') || c.is_whitespace();
    let mut start = 0;
    // Each pair starts after a separator (or at the start of `text`).
    while start <= text.len() {
        let end = text[start..]
            .find(is_separator)
            .map_or(text.len(), |i| start + i);
        let pair = &text[start..end];
        match pair.split_once('=') {
            Some((key, value)) if !value.is_empty() && is_secret_parameter(key) => {
                out.push_str(key);
                out.push('=');
                out.push_str(MASK);
            }
            _ => out.push_str(pair),
        }
        match text[end..].chars().next() {
            Some(c) => {
                out.push(c);
                start = end + c.len_utf8();
            }
            None => break,
        }
    }
}

/// A parameter whose value is a credential: a name ending in `password`,
/// `passwd`, `pass`, `pwd`, `secret`, `token`, `key` or `credentials`
/// (`sslpassword`, `access_token`, `api_key`), or `auth`. Names that only
/// contain them (MongoDB's `authSource`) are left alone.
fn is_secret_parameter(key: &str) -> bool {
    let key = percent_encoding::percent_decode_str(key)
        .decode_utf8_lossy()
        .to_ascii_lowercase();
    let key = key.trim();
    key == "auth"
        || [
            "password",
            "passwd",
            "pass",
            "pwd",
            "secret",
            "token",
            "key",
            "credential",
            "credentials",
        ]
        .iter()
        .any(|w| key.ends_with(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        let cases = [
            ("postgres://app:pw@db/app", "postgres://app:****@db/app"),
            (
                "postgresql://postgres:a%40b%2Fc@db:5432/app",
                "postgresql://postgres:****@db:5432/app",
            ),
            ("redis://:pw@h", "redis://:****@h"),
            (
                "redis://default:pw@redis:6379",
                "redis://default:****@redis:6379",
            ),
            (
                "mysql://root:pw@mariadb:3306/app",
                "mysql://root:****@mariadb:3306/app",
            ),
            (
                "mongodb://root:pw@mongodb:27017/?authSource=admin",
                "mongodb://root:****@mongodb:27017/?authSource=admin",
            ),
            (
                "amqp://guest:pw@rabbitmq:5672/vhost",
                "amqp://guest:****@rabbitmq:5672/vhost",
            ),
            (
                "postgres://db/app?user=app&password=pw&sslmode=require",
                "postgres://db/app?user=app&password=****&sslmode=require",
            ),
            (
                "postgres://db/app?sslpassword=pw#frag",
                "postgres://db/app?sslpassword=****#frag",
            ),
            (
                "https://api.example/?access_token=t&x=1",
                "https://api.example/?access_token=****&x=1",
            ),
            (
                "s3://k@bucket/path?api_key=k2",
                "s3://k@bucket/path?api_key=****",
            ),
            (
                "host=db user=app password=pw dbname=app",
                "host=db user=app password=**** dbname=app",
            ),
            // Nothing secret: unchanged.
            ("postgres://app@db/app", "postgres://app@db/app"),
            ("redis://redis:6379/0", "redis://redis:6379/0"),
            ("postgres://app:@db/app", "postgres://app:@db/app"),
            ("not a url", "not a url"),
            ("", ""),
        ];
        for (url, masked) in cases {
            assert_eq!(mask_url(url), masked, "{url}");
        }
    }

    #[test]
    fn a_password_holding_separators_is_masked_whole() {
        // The userinfo ends at the last `@` of the authority.
        assert_eq!(
            mask_url("postgres://app:p@ss:w@db/app"),
            "postgres://app:****@db/app"
        );
    }

    #[test]
    fn control_characters_are_visible() {
        assert_eq!(escape_controls("a/.env"), "a/.env");
        assert_eq!(
            escape_controls("x\n/etc/shadow:1: high\x1b[2J\u{202e}"),
            "x\\n/etc/shadow:1: high\\x1b[2J\\u{202e}"
        );
    }
}

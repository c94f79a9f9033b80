//! PostgreSQL role passwords: SCRAM verifiers, the admin connection's URL
//! and TLS rules, and which role a key rotates. The live step itself (with
//! the `postgres` feature) is one engine of `crate::live`, beside MySQL's
//! and Redis's.

pub mod authority;
#[cfg(feature = "scram")]
#[cfg_attr(docsrs, doc(cfg(feature = "scram")))]
pub mod scram;

#[cfg(feature = "postgres")]
mod admin;
#[cfg(feature = "postgres")]
pub(crate) mod login;
#[cfg(feature = "postgres")]
pub(crate) mod pinned;
#[cfg(feature = "postgres")]
pub(crate) mod tls;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use admin::{AdminUrl, PgError};

/// The journal of an interrupted live rotation of `env` (any engine):
/// `.NAME.rotation-journal` beside it.
pub fn journal_path(env: &std::path::Path) -> std::path::PathBuf {
    let mut name = std::ffi::OsString::from(".");
    name.push(env.file_name().unwrap_or_default());
    name.push(".rotation-journal");
    env.with_file_name(name)
}

/// Whether a connection string holds a password in any form libpq reads:
/// URL userinfo (`postgres://user:PW@host`), a `password=` query parameter
/// (percent-encoded or not), or a `password=` keyword in the `key=value`
/// form. Such a string must never come from argv, which every local user
/// can read.
///
/// ```
/// use secrets_core::postgres::connection_string_holds_password;
///
/// assert!(connection_string_holds_password("postgres://admin:pw@db/app"));
/// assert!(connection_string_holds_password("postgres://db/app?pass%77ord=pw"));
/// assert!(connection_string_holds_password("host=db password = pw"));
/// assert!(!connection_string_holds_password("postgres://admin@db/app?sslmode=verify-full"));
/// ```
pub fn connection_string_holds_password(text: &str) -> bool {
    let decoded = percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .to_ascii_lowercase();
    for candidate in [text.to_ascii_lowercase(), decoded] {
        if let Some((_, rest)) = candidate.split_once("://") {
            let authority = rest.split(['/', '?']).next().unwrap_or("");
            if let Some((userinfo, _)) = authority.rsplit_once('@') {
                if userinfo.contains(':') {
                    return true;
                }
            }
        }
        // A redis unix-socket URL's `?pass=PW` (`rotate --apply redis`).
        if candidate.contains("?pass=") || candidate.contains("&pass=") {
            return true;
        }
        // `password=`, `password =`, `sslpassword=` (a key's passphrase).
        let mut from = 0;
        while let Some(i) = candidate[from..].find("password") {
            let after = candidate[from + i + "password".len()..].trim_start();
            if after.starts_with('=') {
                return true;
            }
            from += i + 1;
        }
    }
    false
}

/// Quotes an SQL identifier: `"` doubled inside double quotes.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes an SQL string literal: `'` doubled inside single quotes.
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The `ALTER ROLE` statement that sets a role's password to a verifier.
pub fn alter_role_sql(role: &str, verifier: &str) -> String {
    format!(
        "ALTER ROLE {} PASSWORD {}",
        quote_ident(role),
        quote_literal(verifier)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_connection_strings() {
        for with in [
            "postgres://admin:pw@h/db",
            "postgresql://admin:@h/db",
            "postgres://admin@h/db?password=pw",
            "postgres://admin@h/db?sslmode=require&PASSWORD=pw",
            "postgres://admin@h/db?pass%77ord=pw",
            "host=h user=admin password=pw",
            "host=h user=admin password = 'pw'",
            "host=h sslpassword=pw",
            "unix:///run/redis/redis.sock?user=admin&pass=pw",
            "unix:///run/redis/redis.sock?pass=pw",
            "redis://admin:pw@127.0.0.1:6379",
        ] {
            assert!(connection_string_holds_password(with), "{with}");
        }
        for without in [
            "postgres://admin@h/db",
            "postgres://admin@h:5432/db?sslmode=require",
            "host=h user=admin dbname=passwords",
            "postgres://h/db?user=password_admin",
            "unix:///run/redis/redis.sock?user=admin",
        ] {
            assert!(!connection_string_holds_password(without), "{without}");
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_ident(r#"we"ird role"#), r#""we""ird role""#);
        assert_eq!(
            alter_role_sql("app", "SCRAM-SHA-256$4096:x$y:z"),
            r#"ALTER ROLE "app" PASSWORD 'SCRAM-SHA-256$4096:x$y:z'"#
        );
        assert_eq!(quote_literal("o'k"), "'o''k'");
    }
}

//! PostgreSQL role passwords: SCRAM verifiers, and (with the `postgres`
//! feature) rotation that changes the database and the `.env` together, or
//! neither, with a journal to resume an interrupted run.

pub mod scram;

#[cfg(feature = "postgres")]
mod live;
#[cfg(feature = "postgres")]
pub use live::{journal_path, resume, rotate_roles, AdminUrl, PgError, ResumeOutcome, RoleChange};

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
    fn quoting() {
        assert_eq!(quote_ident(r#"we"ird role"#), r#""we""ird role""#);
        assert_eq!(
            alter_role_sql("app", "SCRAM-SHA-256$4096:x$y:z"),
            r#"ALTER ROLE "app" PASSWORD 'SCRAM-SHA-256$4096:x$y:z'"#
        );
        assert_eq!(quote_literal("o'k"), "'o''k'");
    }
}

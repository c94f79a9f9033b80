//! How a command ends when it does not succeed.

use std::error::Error;

/// Exit code 2: usage or operational error, one line. (Findings are not a
/// failure: `check` and `audit` return exit code 1 themselves.)
#[derive(Debug)]
pub enum Failure {
    /// Bad input or an operation that failed: exit 2 with this line.
    Error(String),
}

impl<E: Error + 'static> From<E> for Failure {
    fn from(e: E) -> Self {
        let mut line = one_line(&e);
        if let Some(hint) = hint(&e) {
            line.push_str(hint);
        }
        Failure::Error(line)
    }
}

pub use secrets_core::one_line;

/// What the CLI adds to a library error: the command that gets out of it.
/// The library's messages name no command or option.
fn hint(e: &(dyn Error + 'static)) -> Option<&'static str> {
    let mut cause = Some(e);
    while let Some(c) = cause {
        #[cfg(feature = "postgres")]
        if let Some(secrets_core::postgres::PgError::Interrupted { .. }) = c.downcast_ref() {
            return Some("; run `secrets rotate --env FILE --resume`");
        }
        cause = c.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt;

    /// An error that names its operation, and one that repeats its cause.
    #[derive(Debug)]
    struct Failed {
        repeats: bool,
        cause: std::io::Error,
    }

    impl fmt::Display for Failed {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            if self.repeats {
                write!(f, ".env: open failed: {}", self.cause)
            } else {
                f.write_str(".env: open failed")
            }
        }
    }

    impl Error for Failed {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.cause)
        }
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn an_interrupted_rotation_gets_the_resume_command() {
        let Failure::Error(line) = Failure::from(secrets_core::postgres::PgError::Interrupted {
            step: "ALTER ROLE app".into(),
            cause: "gone".into(),
            restore: "gone too".into(),
        });
        assert_eq!(
            line,
            "ALTER ROLE app failed: gone; restoring the old passwords failed too (gone too); run `secrets rotate --env FILE --resume`"
        );
    }

    #[test]
    fn causes_are_joined_once() {
        for repeats in [false, true] {
            let e = Failed {
                repeats,
                cause: std::io::ErrorKind::NotFound.into(),
            };
            assert_eq!(one_line(&e), ".env: open failed: entity not found");
        }
    }
}

//! How a command ends when it does not succeed.

use std::error::Error;

/// Exit code 2: usage or operational error, one line. (Findings are not a
/// failure: `check` and `audit` return exit code 1 themselves.)
#[derive(Debug)]
pub enum Failure {
    /// Bad input or an operation that failed: exit 2 with this line.
    Error(String),
}

impl<E: Error> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Error(one_line(&e))
    }
}

/// An error and its causes on one line (the library's messages do not
/// repeat their sources).
pub use secrets_core::one_line;

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

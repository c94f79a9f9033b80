//! How a command ends when it does not succeed.

/// Exit code 2: usage or operational error, one line. (Findings are not a
/// failure: `check` and `audit` return exit code 1 themselves.)
#[derive(Debug)]
pub enum Failure {
    /// Bad input or an operation that failed: exit 2 with this line.
    Error(String),
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Error(e.to_string())
    }
}

//! How a command ends when it does not succeed.

/// Exit code 1 (findings) or 2 (usage or operational error, one line).
#[derive(Debug)]
pub enum Failure {
    /// A check found something at or above the threshold: exit 1.
    #[allow(dead_code)] // used by check and audit
    Findings,
    /// Bad input or an operation that failed: exit 2 with this line.
    Error(String),
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Error(e.to_string())
    }
}

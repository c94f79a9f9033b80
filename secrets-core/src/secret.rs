//! The one type that holds secret material.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use zeroize::{Zeroize, Zeroizing};

/// `parts` joined into one zeroizing buffer allocated once at its final
/// size: a buffer that grows moves, and the old one is freed uncleared.
pub(crate) fn joined(parts: &[&str]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(parts.iter().map(|p| p.len()).sum()));
    for p in parts {
        out.push_str(p);
    }
    out
}

/// A secret value: zeroized on drop, redacted in `Debug` and `Display`.
///
/// The plaintext is reachable only through [`SecretValue::expose`], so every
/// place that reveals a secret is a grep for `expose(` away.
///
/// ```
/// use secrets_core::SecretValue;
/// use secrets_core::secrecy::{ExposeSecret, SecretString};
///
/// let v = SecretValue::new("hunter2-but-longer".to_owned());
/// assert_eq!(format!("{v:?} {v}"), "SecretValue([REDACTED]) [REDACTED]");
/// assert_eq!(v.expose(), "hunter2-but-longer");
///
/// // To and from `secrecy`, without a plaintext copy left behind.
/// let s: SecretString = v.into();
/// let back = SecretValue::from(s);
/// assert_eq!(back.len(), 18);
/// assert_eq!(SecretString::from(back).expose_secret(), "hunter2-but-longer");
/// ```
pub struct SecretValue(SecretString);

impl SecretValue {
    /// Wraps a string, taking ownership so no plaintext copy stays behind.
    /// A string with spare capacity is copied to an exact-size buffer and
    /// cleared: the conversion to a boxed `str` would otherwise reallocate
    /// and free the old buffer with the value still in it.
    pub fn new(mut value: String) -> Self {
        if value.capacity() != value.len() {
            let exact = value.as_str().to_owned();
            value.zeroize();
            value = exact;
        }
        Self(SecretString::from(value))
    }

    /// The plaintext. Call it only where the value must leave the process
    /// (a file, a pipe) or be computed on.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Length of the value in bytes; not secret in itself.
    pub fn len(&self) -> usize {
        self.expose().len()
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }

    /// Compares two values without an early exit on the first difference.
    pub fn same_as(&self, other: &SecretValue) -> bool {
        let (a, b) = (self.expose().as_bytes(), other.expose().as_bytes());
        if a.len() != b.len() {
            return false;
        }
        a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl Clone for SecretValue {
    fn clone(&self) -> Self {
        Self::new(self.expose().to_owned())
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue([REDACTED])")
    }
}

impl fmt::Display for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl From<String> for SecretValue {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<SecretString> for SecretValue {
    fn from(value: SecretString) -> Self {
        Self(value)
    }
}

impl From<SecretValue> for SecretString {
    fn from(value: SecretValue) -> Self {
        value.0
    }
}

/// Why a value could not be read from standard input or a terminal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LineError {
    /// Reading failed, or the input is over [`crate::safe_fs::limits::STDIN`].
    #[error(transparent)]
    Read(#[from] crate::safe_fs::FsError),
    /// Not UTF-8 text.
    #[error("the value is not UTF-8")]
    NotUtf8,
    /// Empty, or more than one line.
    #[error("expected one non-empty line: the value")]
    NotOneLine,
}

impl SecretValue {
    /// One value read from `input` (standard input, a terminal): at most
    /// [`crate::safe_fs::limits::STDIN`] bytes of UTF-8, one non-empty line
    /// whose final `\n` or `\r\n` is dropped. Every buffer that held it is
    /// cleared.
    ///
    /// ```
    /// use secrets_core::SecretValue;
    /// let v = SecretValue::read_line(&b"s3cret value\r\n"[..])?;
    /// assert_eq!(v.expose(), "s3cret value");
    /// assert!(SecretValue::read_line(&b"two\nlines\n"[..]).is_err());
    /// # Ok::<(), secrets_core::LineError>(())
    /// ```
    pub fn read_line(input: impl std::io::Read) -> Result<Self, LineError> {
        let what = std::path::Path::new("<stdin>");
        let bytes = crate::safe_fs::read_limited(input, crate::safe_fs::limits::STDIN, what)?;
        let mut bytes = bytes.into_zeroizing();
        let text = match String::from_utf8(std::mem::take(&mut *bytes)) {
            Ok(text) => Zeroizing::new(text),
            Err(e) => {
                Zeroizing::new(e.into_bytes());
                return Err(LineError::NotUtf8);
            }
        };
        let end = text
            .strip_suffix('\n')
            .map_or(text.len(), |t| t.strip_suffix('\r').unwrap_or(t).len());
        if end == 0 || text[..end].contains('\n') {
            return Err(LineError::NotOneLine);
        }
        Ok(Self::new(text[..end].to_owned()))
    }
}

impl From<Zeroizing<String>> for SecretValue {
    /// Takes the text over (an empty string is left to clear).
    fn from(mut value: Zeroizing<String>) -> Self {
        Self::new(std::mem::take(&mut *value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = SecretValue::new("hunter2-very-secret".into());
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!format!("{s}").contains("hunter2"));
        assert!(!format!("{:?}", Some(vec![s.clone()])).contains("hunter2"));
        assert_eq!(s.expose(), "hunter2-very-secret");
    }

    #[test]
    fn same_as_compares_whole_values() {
        let a = SecretValue::new("abc".into());
        assert!(a.same_as(&SecretValue::new("abc".into())));
        assert!(!a.same_as(&SecretValue::new("abd".into())));
        assert!(!a.same_as(&SecretValue::new("ab".into())));
    }
}

/// Bytes that may hold secrets (a `.env` read from disk, decrypted
/// plaintext): wiped when dropped, and `Debug` shows only the length.
/// Dereferences to `[u8]`.
///
/// ```
/// let b = secrets_core::SecretBytes::from(b"API_TOKEN=k8Bhzn".to_vec());
/// assert_eq!(&b[..4], b"API_");
/// assert_eq!(format!("{b:?}"), "SecretBytes(16 bytes)");
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretBytes(zeroize::Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    /// The bytes, handed over; the caller wipes them.
    pub fn into_zeroizing(self) -> zeroize::Zeroizing<Vec<u8>> {
        self.0
    }
}

impl From<Vec<u8>> for SecretBytes {
    fn from(bytes: Vec<u8>) -> Self {
        SecretBytes(zeroize::Zeroizing::new(bytes))
    }
}

impl From<zeroize::Zeroizing<Vec<u8>>> for SecretBytes {
    fn from(bytes: zeroize::Zeroizing<Vec<u8>>) -> Self {
        SecretBytes(bytes)
    }
}

impl std::ops::Deref for SecretBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for SecretBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretBytes({} bytes)", self.0.len())
    }
}

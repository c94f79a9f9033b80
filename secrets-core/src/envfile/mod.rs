//! The `.env` document: lossless parsing and editing, value quoting, and the
//! layout of a generated file.

pub mod document;
pub mod quote;
pub mod render;

pub use document::{is_key, Document, Duplicate, Entry, InvalidKey, ParseError, Quote};
pub use quote::{encode, Encoded, Reader};

/// The prefix dotenvx gives the values it encrypts (`dotenvx encrypt`).
pub const DOTENVX_PREFIX: &str = "encrypted:";

/// Whether a value was encrypted by dotenvx: its plaintext is unknown here,
/// so it can be neither validated nor rotated in place.
pub fn is_dotenvx_encrypted(value: &str) -> bool {
    value.starts_with(DOTENVX_PREFIX)
}

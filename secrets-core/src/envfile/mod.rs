//! The `.env` document: lossless parsing and editing, value quoting, and the
//! layout of a generated file.

pub mod document;
pub mod quote;
pub mod render;

pub use document::{is_key, Document, Entry, ParseError, Quote};
pub use quote::{encode, Encoded, Reader};

//! Where a stack comes from: a manifest file (by default `./secrets.toml`),
//! catalog components, or both (the components are then included in the
//! manifest's stack).

use std::path::{Path, PathBuf};

use crate::manifest::{ManifestError, ManifestFile, Origin};
use crate::stack::Stack;

/// The file name a manifest has by default, in the current directory.
pub const DEFAULT_MANIFEST: &str = "secrets.toml";

/// A manifest and components.
#[derive(Debug, Clone, Default)]
pub struct StackSource {
    /// The manifest; default [`DEFAULT_MANIFEST`] when it exists.
    pub manifest: Option<PathBuf>,
    /// Catalog components, included in the manifest's stack.
    pub components: Vec<String>,
}

/// A stack that could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StackSourceError {
    /// Neither a manifest nor components, and no `./secrets.toml`.
    #[error("no ./secrets.toml here, and no manifest or components given")]
    NoManifest,
    /// The manifest or a component is wrong.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
}

impl StackSource {
    /// Whether a stack is named (or `./secrets.toml` exists).
    pub fn names_a_stack(&self) -> bool {
        self.manifest.is_some()
            || !self.components.is_empty()
            || Path::new(DEFAULT_MANIFEST).exists()
    }

    /// The stack: the manifest's with the components included, or the
    /// components alone.
    pub fn load(&self) -> Result<Stack, StackSourceError> {
        let default = Path::new(DEFAULT_MANIFEST);
        let manifest = match (&self.manifest, self.components.is_empty()) {
            (Some(path), _) => Some(path.as_path()),
            (None, true) if default.exists() => Some(default),
            (None, true) => return Err(StackSourceError::NoManifest),
            (None, false) => None,
        };
        let Some(path) = manifest else {
            return Ok(Stack::from_components("secrets", &self.components)?);
        };
        let mut file = ManifestFile::load(path)?;
        // Named by the caller, in no file: an unknown one is reported at
        // `Origin::argument`, as `Stack::from_components` does.
        file.include.extend(
            self.components
                .iter()
                .map(|c| (c.clone(), Origin::argument())),
        );
        Ok(Stack::from_manifest(file)?)
    }

    /// [`StackSource::load`] when a stack is named, else `None`: a command
    /// can work from the file alone.
    pub fn load_optional(&self) -> Result<Option<Stack>, StackSourceError> {
        match self.names_a_stack() {
            true => self.load().map(Some),
            false => Ok(None),
        }
    }
}

//! What an audit keeps in memory: the compose files, Dockerfiles,
//! templates and ignore files its rules read. Each inode is read once per
//! run (a later name, a hard link, shares what the first read), and the
//! bytes kept across the whole audit, every root included, have one cap
//! ([`super::KEPT_BYTES`] unless [`super::AuditOptions::kept_bytes`] says
//! otherwise). A file past the cap is not read: SA020 says what was left
//! unchecked, instead of memory growing with the tree.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use crate::check::{Finding, Rule, RuleId, Severity};

pub static RULE: Rule = Rule {
    id: RuleId::TreeTooLarge,
    name: "tree-too-large",
    severity: Severity::High,
    summary: "The files the audit must read exceed its memory cap: tree too large to check fully",
    help: "audit the stacks one directory at a time, or remove the oversized compose files, Dockerfiles and templates",
};

/// A file the rules read, as read once for all its names.
#[derive(Debug)]
pub struct Input {
    /// Its bytes.
    pub bytes: crate::SecretBytes,
    /// Its owner, when read.
    pub uid: u32,
    /// The name it was first read under.
    pub first: PathBuf,
    /// Device and inode.
    pub identity: (u64, u64),
}

/// The inputs read so far in one audit, shared by the walks of its roots.
#[derive(Debug)]
pub struct Kept {
    cap: u64,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    used: u64,
    inodes: HashMap<(u64, u64), Arc<Input>>,
}

impl Default for Kept {
    fn default() -> Self {
        Kept::new(super::KEPT_BYTES)
    }
}

impl Kept {
    /// An empty store holding at most `cap` bytes.
    pub fn new(cap: u64) -> Self {
        Kept {
            cap,
            state: Mutex::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The input already read for `identity`, if any.
    pub fn known(&self, identity: (u64, u64)) -> Option<Arc<Input>> {
        self.state().inodes.get(&identity).cloned()
    }

    /// Reserves `len` bytes; false when that would pass the cap.
    pub fn reserve(&self, len: u64) -> bool {
        let mut state = self.state();
        match state.used.checked_add(len) {
            Some(total) if total <= self.cap => {
                state.used = total;
                true
            }
            _ => false,
        }
    }

    /// Gives back a reservation that was not used.
    pub fn release(&self, len: u64) {
        let mut state = self.state();
        state.used = state.used.saturating_sub(len);
    }

    /// Keeps `input`, read within a reservation of `reserved` bytes (its
    /// real length is counted: a file may have changed size meanwhile).
    pub fn keep(&self, reserved: u64, input: Input) -> Arc<Input> {
        let mut state = self.state();
        let len = input.bytes.len() as u64;
        state.used = state.used.saturating_sub(reserved).saturating_add(len);
        let input = Arc::new(input);
        state.inodes.insert(input.identity, Arc::clone(&input));
        input
    }

    /// The cap.
    pub fn cap(&self) -> u64 {
        self.cap
    }
}

/// SA020 for the files of one walk left unread past the cap: `first` and
/// `more` others.
pub fn finding(first: &Path, more: usize, cap: u64) -> Finding {
    let others = match more {
        0 => String::new(),
        1 => " and 1 other file".to_owned(),
        n => format!(" and {n} other files"),
    };
    Finding::new(
        &RULE,
        first,
        None,
        None,
        format!(
            "tree too large to check fully: the audit keeps at most {} of compose files, Dockerfiles and templates, so {}{others} past it were not read and their rules did not run",
            if cap.is_multiple_of(1 << 20) { format!("{} MiB", cap >> 20) } else { format!("{cap} bytes") },
            first.display()
        ),
    )
}

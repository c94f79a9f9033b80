//! `secrets edit`: decrypt an age-encrypted `.env` into a private directory
//! (0700, on `$XDG_RUNTIME_DIR` or `/dev/shm`, memory file systems), run
//! `$EDITOR` on it, check that the result is a `.env`, encrypt it again to
//! the recipients and replace the file atomically; then remove the
//! directory with everything in it (the editor's backups and swap files
//! too). The target's directory stays locked meanwhile, so no other writer
//! changes it under the edit.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use secrets_core::crypt;
use secrets_core::secure_file::{SecureFile, WriteOptions};
use secrets_core::unstable::safe_fs::{limits, PrivateDir};
use secrets_core::SecretBytes;

use crate::args::EditArgs;
use crate::failure::Failure;

/// Where the plaintext goes: memory file systems first.
fn private_dir() -> Result<(PrivateDir, bool), Failure> {
    let mut candidates: Vec<(PathBuf, bool)> = Vec::new();
    if let Some(run) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        candidates.push((PathBuf::from(run), true));
    }
    candidates.push((PathBuf::from("/dev/shm"), true));
    candidates.push((std::env::temp_dir(), false));
    let mut last = None;
    for (parent, in_memory) in candidates {
        if !parent.is_dir() {
            continue;
        }
        match PrivateDir::create(&parent, "secrets-edit") {
            Ok(dir) => return Ok((dir, in_memory)),
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(e) => Failure::Error(format!(
            "no private directory for the plaintext: {}",
            crate::failure::one_line(&e)
        )),
        None => Failure::Error("no private directory for the plaintext".into()),
    })
}

/// The name the plaintext gets: the target's without `.age`, so that an
/// editor recognises a `.env`.
fn plain_name(target: &Path) -> OsString {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match name.strip_suffix(".age").filter(|n| !n.is_empty()) {
        Some(n) => n.into(),
        None => ".env".into(),
    }
}

/// Termination signals stay pending while the editor runs, so that this
/// process always lives to remove the plaintext (a child's mask is reset
/// by std when it is spawned, so the editor gets them as usual).
fn hold_signals() {
    use nix::sys::signal::{SigSet, Signal};
    let mut set = SigSet::empty();
    for s in [
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGQUIT,
    ] {
        set.add(s);
    }
    let _ = set.thread_block();
}

pub fn run(args: EditArgs) -> Result<ExitCode, Failure> {
    let stack = super::load_optional_stack(&args.stack)?;
    // Before anything: an edit that cannot be saved is not started.
    let recipients = super::crypt::recipients(&args.recipients, stack.as_ref())?;
    let display = args.file.display().to_string();
    if args.file.symlink_metadata().is_err() {
        return Err(Failure::Error(format!("{display}: no such file")));
    }
    let options =
        WriteOptions::preserving(&args.file)?.with_lock_wait(Duration::from_secs(args.wait));
    let file = SecureFile::open(&args.file, options)?;
    let file = file.lock()?;
    let ciphertext = file
        .read_up_to(limits::ENCRYPTED_ENV)?
        .ok_or_else(|| Failure::Error(format!("{display}: no such file")))?;
    if !crypt::is_encrypted(&ciphertext) {
        return Err(crypt::CryptError::NotEncrypted(args.file.clone()).into());
    }
    let identities = super::crypt::identities(&args.identity, &args.file)?;
    let plaintext = crypt::decrypt(&ciphertext, &identities, &args.file)?;
    let armor = crypt::is_armored(&ciphertext);

    hold_signals();
    let (dir, in_memory) = private_dir()?;
    let dir_path = dir.dir().path().to_owned();
    if !in_memory {
        crate::note!(
            "secrets: warning: neither $XDG_RUNTIME_DIR nor /dev/shm is usable: the plaintext goes to {} on disk (removed afterwards, not wiped)",
            dir_path.display()
        );
    }
    let name = plain_name(&args.file);
    let edited = edit(&dir, &name, &plaintext);
    // Whatever happened, the plaintext and the editor's files go now.
    let removed = dir.remove();
    let edited = edited?;
    let mut leftovers = match removed {
        Ok(names) => names,
        Err(e) => {
            return Err(Failure::Error(format!(
                "{}: remove {} yourself, it holds plaintext; {display} is unchanged",
                crate::failure::one_line(&e),
                dir_path.display()
            )))
        }
    };
    leftovers.retain(|n| n != &name);
    if !leftovers.is_empty() {
        let names: Vec<String> = leftovers
            .iter()
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        crate::note!(
            "secrets: removed the editor's files from {}: {}",
            dir_path.display(),
            names.join(", ")
        );
    }
    crate::note!(
        "secrets: note: an editor may also keep copies outside that directory, which secrets cannot see or remove (vim: backupdir, undodir, viminfo; emacs: auto-save-list, backup-directory-alist)"
    );

    let Some(edited) = edited else {
        crate::note!("secrets: no changes; {display} is unchanged");
        return Ok(ExitCode::SUCCESS);
    };
    secrets_core::envfile::Document::parse(&edited).map_err(|e| {
        Failure::Error(format!(
            "the edited file is not a valid .env ({e}); {display} is unchanged"
        ))
    })?;
    let new = crypt::encrypt(&edited, &recipients, armor)?;
    file.replace(&new)?;
    if crypt::decrypt(&new, &identities, &args.file).is_err() {
        crate::note!("secrets: warning: none of the identities given can decrypt {display} any more: it is encrypted only to the recipients given");
    }
    crate::note!(
        "secrets: encrypted {display} again to {} recipient(s)",
        recipients.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes the plaintext, runs the editor, reads the result back: `None`
/// when it did not change.
fn edit(dir: &PrivateDir, name: &OsStr, plaintext: &[u8]) -> Result<Option<SecretBytes>, Failure> {
    let f = dir.dir().create_new(name, 0o600)?;
    f.write_all(plaintext)?;
    drop(f);
    let path = dir.dir().child(name);
    // Split on whitespace only (no quotes, no expansion), as an unquoted
    // $EDITOR in a shell; the file is the last argument.
    let editor = std::env::var("EDITOR")
        .ok()
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".to_owned());
    let mut words = editor.split_whitespace();
    let program = words.next().unwrap_or("vi");
    let status = Command::new(program)
        .args(words)
        .arg(&path)
        .status()
        .map_err(|e| Failure::Error(format!("cannot run the editor `{program}`: {e}")))?;
    if !status.success() {
        return Err(Failure::Error(format!(
            "the editor `{program}` failed ({status}); nothing was changed"
        )));
    }
    let edited = dir
        .dir()
        .open_file(name)?
        .ok_or_else(|| Failure::Error("the editor removed the file; nothing was changed".into()))?
        .read_all(limits::ENV)?;
    Ok((edited.as_slice() != plaintext).then_some(edited))
}

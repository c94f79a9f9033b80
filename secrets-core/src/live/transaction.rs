//! One rotation transaction for every engine: the server and the `.env`
//! change together, or neither, with a journal to finish or undo a run that
//! was cut off. The order (see the module docs of [`super`]): check → journal
//! → `set_new` each → `logs_in` with each new value → `.env` committed →
//! readers restarted → `retire_old` each → `persist` → journal removed.

use super::journal::{self, sha256_hex, Journal, Stage};
use super::{AccountChange, Engine, LiveError, RestartReaders};
use crate::secure_file::Locked;

/// Checks a journal's accounts (engine name, changes) against the manifest.
pub(crate) type Vet<'a> = dyn FnMut(&str, &mut [AccountChange]) -> Result<(), LiveError> + 'a;

/// Connects the engine a journal names.
pub(crate) type Connect<'a> = dyn FnMut(&str) -> Result<Box<dyn Engine>, LiveError> + 'a;

/// What a committed live rotation did beyond the `.env`.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// The accounts changed on the server (an engine may list one
    /// manifest entry as several accounts, e.g. every host of a user).
    pub accounts: Vec<String>,
    /// What the restart step recreated.
    pub restarted: Vec<String>,
    /// Why the restart step failed.
    pub restart_failed: Option<String>,
    /// What the operator should know: persistence, a step left for
    /// `--resume`.
    pub notes: Vec<String>,
}

/// What `resume` did.
#[derive(Debug)]
pub(crate) enum Resumed {
    /// The server and the `.env` hold the new values of these accounts.
    Completed(Outcome),
    /// The server and the `.env` keep the old values of these accounts.
    Undone(Vec<String>),
}

fn accounts(engine: &dyn Engine, changes: &[AccountChange]) -> Vec<String> {
    changes.iter().flat_map(|c| engine.accounts(c)).collect()
}

/// Changes the accounts on the server and commits `new_document` to the
/// `.env`, both or neither; then restarts the readers and retires the old
/// values. The caller holds the `.env`'s lock.
pub(crate) fn run(
    engine: &mut dyn Engine,
    env: &Locked<'_>,
    (old_document, new_document): (&[u8], &[u8]),
    changes: &[AccountChange],
    restart: Option<&mut (dyn RestartReaders + '_)>,
    restart_keys: &[String],
) -> Result<Outcome, LiveError> {
    // Any journal blocks, readable or not: its values would be lost.
    if env.read_companion(journal::SUFFIX)?.is_some() {
        return Err(LiveError::JournalExists(journal::path(env)));
    }
    engine.check(changes).map_err(|e| LiveError::Refused(e.0))?;
    let mut journal = Journal {
        engine: engine.name().to_owned(),
        stage: Stage::Changing,
        changes: changes.to_vec(),
        restart_keys: restart_keys.to_vec(),
        old_sha256: sha256_hex(old_document),
        new_document: crate::SecretValue::new(String::from_utf8_lossy(new_document).into_owned()),
    };
    journal.write(env)?;

    let mut changed: Vec<&AccountChange> = Vec::new();
    let outcome = (|| {
        for c in changes {
            changed.push(c);
            engine
                .set_new(c)
                .map_err(|e| (format!("changing the password of {}", c.account), e.0))?;
        }
        for c in changes {
            let step = || format!("logging in as {} with the new password", c.account);
            match engine.logs_in(&c.account, &c.new) {
                Ok(true) => {}
                Ok(false) => return Err((step(), "the server refused it".to_owned())),
                Err(e) => return Err((step(), e.0)),
            }
        }
        env.replace(new_document).map(drop).map_err(|e| {
            (
                format!("writing {}", env.path().display()),
                crate::one_line(&e),
            )
        })
    })();
    if let Err((step, cause)) = outcome {
        // The account whose `set_new` failed is restored too: the change may
        // have reached the server before the error did.
        let restore: Result<(), String> = changed.iter().rev().try_for_each(|c| {
            engine
                .restore_old(c)
                .map_err(|e| format!("{}: {e}", c.account))
        });
        return match restore {
            Ok(()) => {
                env.remove_companion(journal::SUFFIX)?;
                Err(LiveError::RolledBack { step, cause })
            }
            Err(restore) => Err(LiveError::Interrupted {
                step,
                cause,
                restore,
                journal: journal::path(env),
            }),
        };
    }
    let mut done = after_commit(engine, env, &mut journal, restart)?;
    done.accounts = accounts(engine, changes);
    Ok(done)
}

/// From a committed `.env` on: restart the readers, retire the old values,
/// persist, remove the journal. A failure here keeps the journal (the
/// `.env` is committed and the new values work): `--resume` finishes.
fn after_commit(
    engine: &mut dyn Engine,
    env: &Locked<'_>,
    journal: &mut Journal,
    restart: Option<&mut (dyn RestartReaders + '_)>,
) -> Result<Outcome, LiveError> {
    let mut out = Outcome::default();
    let resume_hint = |what: String| {
        format!(
            "{what}; the .env and the server hold the new values, the old ones still work, and the journal {} is kept: run `secrets rotate --env FILE --resume` to finish",
            journal::path(env).display()
        )
    };
    if journal.stage == Stage::Changing {
        if let Some(restart) = restart {
            let keys = match journal.restart_keys.is_empty() {
                true => journal.changes.iter().map(|c| c.key.clone()).collect(),
                false => journal.restart_keys.clone(),
            };
            match restart.restart(&keys) {
                Ok(done) => out.restarted = done,
                Err(why) => {
                    // The readers still hold the old values: retiring them
                    // now would lock the readers out.
                    out.notes.push(resume_hint(format!(
                        "restarting the readers failed ({why}), so the old values were not retired"
                    )));
                    out.restart_failed = Some(why);
                    return Ok(out);
                }
            }
        }
        journal.stage = Stage::Restarted;
        journal.write(env)?;
    }
    for c in &journal.changes {
        if let Err(e) = engine.retire_old(c) {
            out.notes.push(resume_hint(format!(
                "retiring the old password of {} failed ({e})",
                c.account
            )));
            return Ok(out);
        }
    }
    match engine.persist() {
        Ok(note) => out.notes.extend(note),
        Err(e) => {
            out.notes.push(resume_hint(format!(
                "making the change outlive a server restart failed ({e})"
            )));
            return Ok(out);
        }
    }
    env.remove_companion(journal::SUFFIX)?;
    Ok(out)
}

/// Which value an account logs in with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Holds {
    New,
    Old,
}

/// Finishes or undoes the interrupted rotation of `env` that its journal
/// records: reconnects the engine the journal names (`connect`), asks the
/// server which value each account logs in with, and completes the run
/// when the new values work, undoes it when only the old ones do and the
/// `.env` was not committed, refuses otherwise (journal kept). The caller
/// holds the `.env`'s lock.
///
/// `vet` checks the journal's accounts against what the caller trusts (the
/// manifest) and sets which are named explicitly: the journal belongs to
/// the `.env`'s owner, who must not pick the account root changes.
pub(crate) fn resume(
    env: &Locked<'_>,
    vet: &mut Vet<'_>,
    connect: &mut Connect<'_>,
    restart: Option<&mut (dyn RestartReaders + '_)>,
) -> Result<Resumed, LiveError> {
    let mut journal =
        Journal::read(env)?.ok_or_else(|| LiveError::NoJournal(env.path().to_owned()))?;
    vet(&journal.engine, &mut journal.changes)?;
    let current = env.read()?.unwrap_or_default();
    let committed = current.as_slice() == journal.new_document.expose().as_bytes();
    if !committed && sha256_hex(&current) != journal.old_sha256 {
        return Err(LiveError::Journal(format!(
            "{} changed since the interrupted rotation; resolve by hand (the journal is {})",
            env.path().display(),
            journal::path(env).display()
        )));
    }
    let mut engine = connect(&journal.engine)?;
    let engine = &mut *engine;
    engine
        .check(&journal.changes)
        .map_err(|e| LiveError::Refused(e.0))?;
    let names = accounts(engine, &journal.changes);
    let mut holds = Vec::new();
    for c in &journal.changes {
        let ask = |e: super::StepError| {
            LiveError::Journal(format!(
                "cannot tell which password {} logs in with ({e}); the journal is kept",
                c.account
            ))
        };
        if engine.logs_in(&c.account, &c.new).map_err(ask)? {
            holds.push(Holds::New);
        } else if engine.logs_in(&c.account, &c.old).map_err(ask)? {
            holds.push(Holds::Old);
        } else {
            return Err(LiveError::Journal(format!(
                "{} accepts neither its old nor its new password; the journal is kept",
                c.account
            )));
        }
    }
    if !committed && holds.iter().all(|h| *h == Holds::Old) {
        env.remove_companion(journal::SUFFIX)?;
        return Ok(Resumed::Undone(names));
    }
    for (c, h) in journal.changes.iter().zip(&holds) {
        if *h == Holds::Old {
            let failed = |e: super::StepError| {
                LiveError::Journal(format!(
                    "changing the password of {}: {e}; the journal is kept",
                    c.account
                ))
            };
            engine.set_new(c).map_err(failed)?;
            if !engine.logs_in(&c.account, &c.new).map_err(failed)? {
                return Err(LiveError::Journal(format!(
                    "{} refuses its new password after it was set; the journal is kept",
                    c.account
                )));
            }
        }
    }
    if !committed {
        env.replace(journal.new_document.expose().as_bytes())?;
    }
    let mut done = after_commit(engine, env, &mut journal, restart)?;
    done.accounts = names;
    Ok(Resumed::Completed(done))
}

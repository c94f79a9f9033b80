//! `secrets rotate`: new values for chosen keys, dependents updated in the
//! same atomic write. An age-encrypted file is decrypted in memory, rotated
//! and encrypted again to the recipients given (or the manifest's).

use std::fmt::Write as _;
use std::process::ExitCode;

use secrets_core::crypt::{self, Identities, Recipients};
use secrets_core::envfile::Document;
use secrets_core::generate::os_rng;
use secrets_core::rotate::{self, infer::describe, Selection};
use secrets_core::safe_fs::{limits, FsError};
use secrets_core::secure_file::{SecureFile, WriteOptions};
use secrets_core::stack::Stack;
use secrets_core::unix_now;
use zeroize::Zeroizing;

use crate::args::{ApplyTarget, RotateArgs, StackArgs};
use crate::failure::Failure;

pub fn run(args: RotateArgs) -> Result<ExitCode, Failure> {
    // Printed once every buffer that held a value is dropped and cleared:
    // a reader that stalls the output finds no value in memory meanwhile.
    let report = rotate(args)?;
    crate::output::print(&report)?;
    Ok(ExitCode::SUCCESS)
}

/// The rotation; returns the report.
fn rotate(args: RotateArgs) -> Result<String, Failure> {
    let stack_args = StackArgs {
        manifest: args.manifest.clone(),
        with: args.with.clone(),
    };
    let stack = super::load_optional_stack(&stack_args)?;
    let display = args.env.display().to_string();
    if !args.env.exists() && args.env.symlink_metadata().is_err() {
        return Err(Failure::Error(format!(
            "{display}: no such file; create it with `secrets write --out {display}`"
        )));
    }
    let options = WriteOptions::preserving(&args.env)?
        .with_lock_wait(std::time::Duration::from_secs(args.wait));
    let target_mode = options.mode();
    let file = SecureFile::open(&args.env, options)?;
    let file = file.lock()?;
    let raw = file
        .read_up_to(limits::ENCRYPTED_ENV)?
        .ok_or_else(|| Failure::Error(format!("{display}: no such file")))?;
    let (bytes, seal) = open_sealed(&args, stack.as_ref(), raw)?;
    let mut doc = Document::parse(&bytes).map_err(|e| Failure::Error(format!("{display}:{e}")))?;
    if args.resume {
        return database::resume(&args, &file, &doc);
    }
    if args.apply.is_some() && args.dry_run {
        return Err(Failure::Error(
            "--dry-run cannot be combined with --apply".into(),
        ));
    }

    let now = unix_now();
    let selection = Selection {
        keys: args.keys.clone(),
        all: args.all,
        due: args.due,
    };
    let plan = rotate::plan(&doc, stack.as_ref(), &selection, now)?;
    if plan.keys.is_empty() {
        return Ok("nothing is due\n".into());
    }

    let mut report = String::new();
    let verb = if args.dry_run {
        "would rotate"
    } else {
        "rotated"
    };
    for k in &plan.keys {
        let how = if k.inferred {
            format!("inferred: {}", describe(&k.kind))
        } else {
            k.kind.name().to_owned()
        };
        let why = k
            .reason
            .as_deref()
            .map(|r| format!("; {r}"))
            .unwrap_or_default();
        writeln!(report, "{verb} {} ({how}{why})", k.name)?;
    }
    if !plan.dependents.is_empty() {
        let verb = if args.dry_run {
            "would update"
        } else {
            "updated"
        };
        writeln!(report, "{verb} {}", plan.dependents.join(", "))?;
    }

    if !args.dry_run {
        let applied = rotate::apply(
            &mut doc,
            stack.as_ref(),
            &plan,
            args.keep_previous,
            &mut os_rng(),
            now,
        )?;
        let before_mode = secrets_core::safe_fs::read_meta_nofollow(file.path())
            .ok()
            .flatten()
            .map_or(target_mode, |f| f.mode());
        let rendered = doc.render();
        match args.apply {
            Some(ApplyTarget::Postgres) => {
                let roles = database::apply(
                    &args,
                    stack.as_ref(),
                    &plan,
                    &doc,
                    &bytes,
                    rendered.as_bytes(),
                    &file,
                )?;
                writeln!(
                    report,
                    "changed the database passwords of {}",
                    roles.join(", ")
                )?;
            }
            None => match &seal {
                Some(seal) => {
                    let ciphertext =
                        crypt::encrypt(rendered.as_bytes(), &seal.recipients, seal.armor)?;
                    file.replace(&ciphertext)?;
                    if crypt::decrypt(&ciphertext, &seal.identities, &args.env).is_err() {
                        crate::note!("secrets: warning: none of the identities given can decrypt {display} any more: it is encrypted only to the recipients given");
                    }
                }
                None => {
                    file.replace(rendered.as_bytes())?;
                }
            },
        }
        super::warn_disagreements(&applied.disagreements);
        if before_mode != target_mode {
            crate::note!("secrets: changed the mode of {display} from {before_mode:04o} to {target_mode:04o}");
        }
        if !applied.previous.is_empty() {
            writeln!(
                report,
                "kept the old values in {}",
                applied.previous.join(", ")
            )?;
        }
    }
    if args.keep_previous {
        for k in &plan.keys {
            if let Some(r) = &k.rollover {
                writeln!(report, "rollover for {}: {r}", k.name)?;
            }
        }
    }
    if !plan.services.is_empty() {
        let verb = if args.dry_run {
            "then restart"
        } else {
            "restart"
        };
        writeln!(report, "{verb}: {}", plan.services.join(", "))?;
    }
    Ok(report)
}

/// How an age-encrypted file is sealed again after the rotation.
struct Seal {
    recipients: Recipients,
    identities: Identities,
    armor: bool,
}

/// The plaintext to rotate: the file itself, or, when it is age-encrypted,
/// its content decrypted in memory with what is needed to encrypt it again
/// (recipients are required up front: the age format does not record them).
fn open_sealed(
    args: &RotateArgs,
    stack: Option<&Stack>,
    raw: Zeroizing<Vec<u8>>,
) -> Result<(Zeroizing<Vec<u8>>, Option<Seal>), Failure> {
    let given =
        !args.identity.identities.is_empty() || super::crypt::recipients_given(&args.recipients);
    if !crypt::is_encrypted(&raw) {
        if given {
            return Err(crypt::CryptError::NotEncrypted(args.env.clone()).into());
        }
        if raw.len() as u64 > limits::ENV {
            return Err(FsError::TooLarge {
                path: args.env.clone(),
                size: raw.len() as u64,
                limit: limits::ENV,
            }
            .into());
        }
        return Ok((raw, None));
    }
    if args.apply.is_some() || args.resume {
        return Err(Failure::Error(format!(
            "{}: --apply and --resume do not work on an age-encrypted file (their journal would hold plaintext): decrypt it with `secrets write --from`, rotate there, and encrypt again",
            args.env.display()
        )));
    }
    // A dry run writes nothing, so it needs no recipients.
    let recipients = if args.dry_run {
        Recipients::new()
    } else {
        super::crypt::recipients(&args.recipients, stack)?
    };
    let identities = super::crypt::identities(&args.identity, &args.env)?;
    let plaintext = crypt::decrypt(&raw, &identities, &args.env)?;
    let seal = Seal {
        recipients,
        identities,
        armor: crypt::is_armored(&raw),
    };
    Ok((plaintext, Some(seal)))
}

/// `--apply postgres` and `--resume`: the database side of a rotation.
#[cfg(feature = "postgres")]
mod database {
    use secrets_core::envfile::Document;
    use secrets_core::generate::os_rng;
    use secrets_core::postgres::authority::role_of;
    use secrets_core::postgres::connection_string_holds_password;
    use secrets_core::postgres::{
        resume as pg_resume, rotate_roles, AdminUrl, ResumeOutcome, RoleChange,
    };
    use secrets_core::rotate::Plan;
    use secrets_core::safe_fs::{limits, read_limited};
    use secrets_core::secure_file::Locked;
    use secrets_core::stack::Stack;
    use secrets_core::SecretValue;

    use crate::args::RotateArgs;
    use crate::failure::Failure;

    /// The admin URL from stdin, the .env, or a password-less argument.
    fn admin_url(args: &RotateArgs, doc: &Document) -> Result<AdminUrl, Failure> {
        let url = match (args.admin_url.as_deref(), args.admin_url_var.as_deref()) {
            (Some(_), Some(_)) => return Err(Failure::Error("give --admin-url or --admin-url-var, not both".into())),
            (Some("-"), None) => {
                let bytes = read_limited(std::io::stdin().lock(), limits::STDIN, std::path::Path::new("<stdin>"))?;
                let text = std::str::from_utf8(&bytes).map_err(|_| Failure::Error("<stdin>: the admin URL is not UTF-8".into()))?;
                SecretValue::new(text.trim().to_owned())
            }
            (Some(url), None) => {
                if connection_string_holds_password(url) {
                    return Err(Failure::Error(
                        "--admin-url holds a password, and argv is visible to every local user: pass `--admin-url -` and the URL on stdin, or --admin-url-var NAME".into(),
                    ));
                }
                SecretValue::new(url.to_owned())
            }
            (None, Some(var)) => doc.get(var).cloned().ok_or_else(|| {
                let hint = secrets_core::suggest::closest(var, doc.keys())
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                Failure::Error(format!("{var} is not in the file{hint}"))
            })?,
            (None, None) => {
                return Err(Failure::Error("--apply postgres needs the admin connection: --admin-url-var NAME or `--admin-url -` (URL on stdin)".into()))
            }
        };
        Ok(AdminUrl::new(url)?)
    }

    /// Changes the database and commits the .env, both or neither.
    #[allow(clippy::too_many_arguments)]
    pub fn apply(
        args: &RotateArgs,
        stack: Option<&Stack>,
        plan: &Plan,
        after: &Document,
        old_bytes: &[u8],
        new_bytes: &[u8],
        file: &Locked<'_>,
    ) -> Result<Vec<String>, Failure> {
        // The file as it was, for the old values, role names and the admin URL.
        let before = &Document::parse(old_bytes)
            .map_err(|e| Failure::Error(format!("{}:{e}", file.path().display())))?;
        let stack = stack.ok_or_else(|| {
            Failure::Error(
                "--apply postgres needs a manifest that names each key's postgres_role".into(),
            )
        })?;
        let mut changes = Vec::new();
        for k in &plan.keys {
            // The manifest decides the role; the .env is data.
            let Some(record) = role_of(stack, &k.name, before)? else {
                continue;
            };
            let (Some(old), Some(new)) = (before.get(&k.name), after.get(&k.name)) else {
                return Err(Failure::Error(format!("{} is not in the file", k.name)));
            };
            changes.push(RoleChange {
                key: k.name.clone(),
                role: record.role,
                old: old.clone(),
                new: new.clone(),
                named_explicitly: record.named_explicitly,
            });
        }
        if changes.is_empty() {
            return Err(Failure::Error(
                "none of the keys has a postgres_role in the manifest".into(),
            ));
        }
        let admin = admin_url(args, before)?;
        rotate_roles(&admin, file, old_bytes, new_bytes, &changes, &mut os_rng())?;
        Ok(changes.into_iter().map(|c| c.role).collect())
    }

    /// Finishes or undoes an interrupted rotation; returns the report.
    pub fn resume(args: &RotateArgs, file: &Locked<'_>, doc: &Document) -> Result<String, Failure> {
        let admin = admin_url(args, doc)?;
        Ok(match pg_resume(&admin, file, &mut os_rng())? {
            ResumeOutcome::Completed(roles) => format!(
                "completed the interrupted rotation: the database and {} hold the new passwords of {}\n",
                file.path().display(),
                roles.join(", ")
            ),
            ResumeOutcome::Undone(roles) => format!(
                "undid the interrupted rotation: {} and the database keep the old passwords of {}\n",
                file.path().display(),
                roles.join(", ")
            ),
            _ => String::new(),
        })
    }
}

#[cfg(not(feature = "postgres"))]
mod database {
    use secrets_core::envfile::Document;
    use secrets_core::rotate::Plan;
    use secrets_core::secure_file::Locked;
    use secrets_core::stack::Stack;

    use crate::args::RotateArgs;
    use crate::failure::Failure;

    const MISSING: &str =
        "this build of secrets has no PostgreSQL support (the `postgres` feature)";

    pub fn apply(
        _: &RotateArgs,
        _: Option<&Stack>,
        _: &Plan,
        _: &Document,
        _: &[u8],
        _: &[u8],
        _: &Locked<'_>,
    ) -> Result<Vec<String>, Failure> {
        Err(Failure::Error(MISSING.into()))
    }

    pub fn resume(_: &RotateArgs, _: &Locked<'_>, _: &Document) -> Result<String, Failure> {
        Err(Failure::Error(MISSING.into()))
    }
}

//! `secrets rotate`: new values for chosen keys, dependents updated in the
//! same atomic write. An age-encrypted file is decrypted in memory, rotated
//! and encrypted again to the recipients given (or the manifest's).

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use secrets_core::generate::os_rng;
use secrets_core::postgres::connection_string_holds_password;
use secrets_core::rotate::infer::describe;
use secrets_core::rotate::{self as core, AdminSource, Database, RotateEnvError as E};
use secrets_core::rotate::{RotateError, RotateReport, RotateRequest, Selection};
use secrets_core::secure_file::{SecureFile, WriteOptions};
use secrets_core::SecretValue;

use crate::args::{ApplyTarget, RotateArgs, StackArgs};
use crate::failure::Failure;

pub fn run(args: RotateArgs) -> Result<ExitCode, Failure> {
    let (manifest, with) = (args.manifest.clone(), args.with.clone());
    let stack = super::load_optional_stack(&StackArgs { manifest, with })?;
    let display = args.env.display().to_string();
    if !args.env.exists() && args.env.symlink_metadata().is_err() {
        let hint = format!("create it with `secrets write --out {display}`");
        return Err(Failure::Error(format!("{display}: no such file; {hint}")));
    }
    let admin = match (args.admin_url.as_deref(), args.admin_url_var.clone()) {
        _ if args.apply.is_none() && !args.resume => None,
        (Some(_), Some(_)) => return Err(Failure::Error("give --admin-url or --admin-url-var, not both".into())),
        (None, var) => var.map(AdminSource::Var),
        (Some("-"), None) => Some(AdminSource::Stdin),
        (Some(url), None) if connection_string_holds_password(url) => return Err(Failure::Error("--admin-url holds a password, and argv is visible to every local user: pass `--admin-url -` and the URL on stdin, or --admin-url-var NAME".into())),
        (Some(url), None) => Some(AdminSource::Url(SecretValue::new(url.to_owned()))),
    };
    let options =
        WriteOptions::preserving(&args.env)?.with_lock_wait(Duration::from_secs(args.wait));
    let file = SecureFile::open(&args.env, options)?;
    let (keys, all, due) = (args.keys.clone(), args.all, args.due);
    let mut request = RotateRequest::new(stack.as_ref(), Selection { keys, all, due });
    request.keep_previous = args.keep_previous;
    request.dry_run = args.dry_run;
    request.database = args.apply.map(|ApplyTarget::Postgres| Database::Postgres);
    request.admin = admin;
    request.resume = args.resume;
    request.keys = super::crypt::age_keys(&args.identity, &args.recipients);
    // Printed once every buffer that held a value is dropped and cleared:
    // a reader that stalls the output finds no value in memory meanwhile.
    let report = core::rotate_env(file, request, &mut os_rng()).map_err(failure)?;
    crate::output::print(&render(&report, &display)?)?;
    Ok(ExitCode::SUCCESS)
}

/// The notes on stderr, and the report for stdout.
fn render(r: &RotateReport, display: &str) -> Result<String, std::fmt::Error> {
    let mut out = String::new();
    let verbs = [
        ["rotated", "updated", "restart"],
        ["would rotate", "would update", "then restart"],
    ];
    let [rotated, updated, restart] = verbs[usize::from(r.dry_run)];
    match &r.resumed {
        Some(core::Resumed::Completed(roles)) => writeln!(out, "completed the interrupted rotation: the database and {display} hold the new passwords of {}", roles.join(", "))?,
        Some(core::Resumed::Undone(roles)) => writeln!(out, "undid the interrupted rotation: {display} and the database keep the old passwords of {}", roles.join(", "))?,
        _ if r.keys.is_empty() => out.push_str("nothing is due\n"),
        _ => {}
    }
    for k in &r.keys {
        let how = match k.inferred {
            true => format!("inferred: {}", describe(&k.kind)),
            false => k.kind.name().to_owned(),
        };
        let why = k
            .reason
            .as_deref()
            .map_or(String::new(), |r| format!("; {r}"));
        writeln!(out, "{rotated} {} ({how}{why})", k.name)?;
    }
    list(&mut out, updated, &r.dependents)?;
    list(&mut out, "changed the database passwords of", &r.roles)?;
    if r.undecryptable {
        crate::note!("secrets: warning: none of the identities given can decrypt {display} any more: it is encrypted only to the recipients given");
    }
    super::warn_disagreements(&r.disagreements);
    if let Some((before, after)) = r.mode_change {
        crate::note!("secrets: changed the mode of {display} from {before:04o} to {after:04o}");
    }
    list(&mut out, "kept the old values in", &r.previous)?;
    for (key, how) in &r.rollovers {
        writeln!(out, "rollover for {key}: {how}")?;
    }
    list(&mut out, &format!("{restart}:"), &r.services)?;
    Ok(out)
}

/// `label a, b, c` on a line of its own, when there are names.
fn list(out: &mut String, label: &str, names: &[String]) -> std::fmt::Result {
    match names.is_empty() {
        true => Ok(()),
        false => writeln!(out, "{label} {}", names.join(", ")),
    }
}

/// The library's error, worded with the flags that change the outcome.
fn failure(e: E) -> Failure {
    let text = match e {
        E::Rotate(RotateError::NeedsManifest { due }) => format!("{} needs a manifest (--manifest FILE or ./secrets.toml)", if due { "--due" } else { "--all" }),
        E::Rotate(RotateError::NothingSelected) => "nothing to rotate: name keys, or pass --all or --due".into(),
        E::Rotate(RotateError::CannotInfer(k)) => format!("cannot infer the kind of {k} from its value; give its kind in a manifest (--manifest)"),
        E::Crypt(e) => return super::crypt::failure(e),
        E::EncryptedWithDatabase(path) => format!("{}: --apply and --resume do not work on an age-encrypted file (their journal would hold plaintext): decrypt it with `secrets write --from`, rotate there, and encrypt again", path.display()),
        E::DryRunWithDatabase => "--dry-run cannot be combined with --apply".into(),
        E::DatabaseNeedsManifest => "--apply postgres needs a manifest that names each key's postgres_role".into(),
        E::NoAdminConnection => "--apply postgres needs the admin connection: --admin-url-var NAME or `--admin-url -` (URL on stdin)".into(),
        #[cfg(feature = "postgres")]
        E::Postgres(e @ secrets_core::postgres::PgError::Interrupted { .. }) => format!("{e}; run `secrets rotate --env FILE --resume`"),
        e => return Failure::from(e),
    };
    Failure::Error(text)
}

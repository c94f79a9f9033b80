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
use secrets_core::rotate::{Consent, LiveError, RotationClass, Skipped};
use secrets_core::rotate::{RotateError, RotateReport, RotateRequest, Selection};
use secrets_core::secure_file::{SecureFile, WriteOptions};
use secrets_core::SecretValue;

use crate::args::{ApplyTarget, RotateArgs, StackArgs};
use crate::failure::Failure;

mod readers;

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
        (None, None) if args.apply == Some(ApplyTarget::Command) => None,
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
    let mut consent = Consent::default();
    consent.server_changed = args.server_changed;
    consent.accept_data_loss = args.accept_data_loss;
    let selection = Selection {
        keys,
        all,
        due,
        consent,
    };
    let mut request = RotateRequest::new(stack.as_ref(), selection);
    request.keep_previous = args.keep_previous;
    request.dry_run = args.dry_run;
    request.database = args.apply.map(|target| match target {
        ApplyTarget::Postgres => Database::Postgres,
        ApplyTarget::Mysql => Database::Mysql,
        ApplyTarget::Redis => Database::Redis,
        ApplyTarget::Command => Database::Command,
    });
    request.admin = admin;
    request.resume = args.resume;
    request.keys = super::crypt::age_keys(&args.identity, &args.recipients);
    let compose = readers::project(&args)?;
    request.restart = readers::restart(&args, compose.as_ref());
    request.compose = compose.clone();
    // Printed once every buffer that held a value is dropped and cleared:
    // a reader that stalls the output finds no value in memory meanwhile.
    let report = core::rotate_env(file, request, &mut os_rng()).map_err(failure)?;
    let mut report = report;
    let services = readers::hint(&args, compose.as_ref(), &report)?;
    if compose.is_some() {
        // The JSON's `services` too: the compose services left to restart.
        report.services = match report.restarted.is_empty() {
            true => services.clone(),
            false => Vec::new(),
        };
    }
    // The text also puts the warnings on stderr: rendered in either format.
    let text = render(&report, &display, &services)?;
    match args.format {
        crate::args::TextFormat::Text => crate::output::print(&text)?,
        crate::args::TextFormat::Json => crate::output::print_json(
            &secrets_core::operation_report::to_json("rotate", Some(&args.env), &report),
        )?,
    }
    Ok(readers::exit_code(&args, &report, &display, &services))
}

/// The notes on stderr, and the report for stdout.
fn render(r: &RotateReport, display: &str, services: &[String]) -> Result<String, std::fmt::Error> {
    let mut out = String::new();
    let verbs = [
        ["rotated", "updated", "restart"],
        ["would rotate", "would update", "then restart"],
    ];
    let [rotated, updated, restart] = verbs[usize::from(r.dry_run)];
    match &r.resumed {
        Some(core::Resumed::Completed(roles)) => writeln!(out, "completed the interrupted rotation: the database and {display} hold the new passwords of {}", roles.join(", "))?,
        Some(core::Resumed::Undone(roles)) => writeln!(out, "undid the interrupted rotation: {display} and the database keep the old passwords of {}", roles.join(", "))?,
        _ if r.keys.is_empty() && r.skipped.is_empty() => out.push_str("nothing is due\n"),
        _ if r.keys.is_empty() => out.push_str("nothing rotated\n"),
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
        // A dry run is where the operator decides: it shows each class.
        let class = match r.dry_run {
            true => format!("; class {}", k.class),
            false => String::new(),
        };
        writeln!(out, "{rotated} {} ({how}{why}{class})", k.name)?;
    }
    for c in &r.consequences {
        let what = match c.class.class {
            RotationClass::Stored => "change by hand",
            RotationClass::DataKey => "data loss accepted",
            _ => "breaks",
        };
        crate::warn!(
            "secrets: warning: {what}: {} is {}: {}",
            c.name,
            c.class,
            c.what
        );
    }
    list(&mut out, updated, &r.dependents)?;
    list(&mut out, "changed the database passwords of", &r.roles)?;
    if let (Some(step), true) = (r.live_step, r.dry_run) {
        for (key, account) in &r.live_accounts {
            let every = match step == Database::Mysql && !account.contains('@') {
                true => " (every host of the user, listed when the server is asked)",
                false => "",
            };
            writeln!(out, "would change on {}: {account}{every} for {key}, check its login with the new value, then commit", step.name())?;
        }
    }
    for note in &r.live_notes {
        crate::note!("secrets: {note}");
    }
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
    list(&mut out, "recreated", &r.restarted)?;
    if r.restarted.is_empty() && r.restart_failed.is_none() {
        list(&mut out, &format!("{restart}:"), services)?;
    }
    for s in &r.skipped {
        writeln!(out, "{}", skipped(s))?;
    }
    Ok(out)
}

/// A key `--all` or `--due` left alone, why, and how to rotate it.
fn skipped(s: &Skipped) -> String {
    let due = s.due.as_deref().map_or(String::new(), |d| format!("; {d}"));
    let head = format!("skipped {} ({}{due})", s.name, s.class);
    let why = match &s.follower {
        Some((name, class)) => format!(
            "{name} follows it and is {}: {}; name {} to rotate it",
            class,
            class.class.meaning(),
            s.name
        ),
        None => way_forward(s),
    };
    format!("{head}: {why}")
}

/// How to rotate a value of this class by name.
fn way_forward(s: &Skipped) -> String {
    let (name, class) = (&s.name, &s.class);
    if class.source.is_default() {
        return format!("nothing says what it protects; name {name} to rotate it, or give it `rotation = \"restart\"` (or stored, data-key, issued) in the manifest");
    }
    let meaning = class.class.meaning();
    match class.class {
        RotationClass::Stored => match s.live {
            Some("command") => format!("{meaning}; name {name} with `--apply command --compose FILE`, or with --server-changed once you change the server's copy by hand"),
            Some(step) => format!("{meaning}; name {name} with `--apply {step}`, or with --server-changed once you change the server's copy by hand"),
            None => format!("{meaning}, and no live step exists for it yet; name {name} with --server-changed and change the server's copy by hand"),
        },
        RotationClass::DataKey => match &s.previous_keys {
            Some(var) => format!("{meaning}; name {name} with --keep-previous (the old key goes to {var}, where its consumer reads it), or --accept-data-loss"),
            None => format!("{meaning}, and its consumer reads no previous key; re-encrypt or export the data, then name {name} with --accept-data-loss"),
        },
        _ => format!("{meaning}; name {name} to rotate it"),
    }
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
        E::Rotate(RotateError::Stored { name, class, live }) => format!(
            "{name} is stored ({}): its server keeps its own copy, so a new value in the file alone locks its clients out; nothing was changed: {}",
            class.source,
            match live {
                Some("command") => "pass `--apply command --compose FILE` to change it live too (its live_command runs in the compose service), or change the server's copy by hand and pass --server-changed".into(),
                Some(step) => format!("pass `--apply {step}` (with --admin-url-var NAME or `--admin-url -`) to change it live too, or change the server's copy by hand and pass --server-changed"),
                None => "no live step exists for it yet: pass --server-changed and change the server's copy to the new value by hand before its readers restart".into(),
            }
        ),
        E::Rotate(RotateError::DataKey { name, class, previous_keys }) => format!(
            "{name} is a data key ({}): it encrypts data at rest, which a new value makes unreadable; nothing was changed: {}",
            class.source,
            match previous_keys {
                Some(var) => format!("pass --keep-previous to keep the old key in {var}, where its consumer reads it, or --accept-data-loss"),
                None => "its consumer reads no previous key: re-encrypt or export the data first, then pass --accept-data-loss".into(),
            }
        ),
        E::EncryptedWithDatabase(path) => format!("{}: --apply and --resume do not work on an age-encrypted file (their journal would hold plaintext): decrypt it with `secrets write --from`, rotate there, and encrypt again", path.display()),
        E::DatabaseNeedsManifest => "--apply needs a manifest that names each key's account (postgres_role, mysql_user, redis_user, live_command)".into(),
        E::NoAdminConnection => "--apply and --resume need the admin connection: --admin-url-var NAME or `--admin-url -` (URL on stdin)".into(),
        E::Live(LiveError::Interrupted { step, cause, restore, journal }) => format!(
            "{step} failed: {cause}; restoring the old passwords failed too ({restore}); the journal {} is kept: run `secrets rotate --env FILE --resume`",
            journal.display()
        ),
        E::Live(LiveError::JournalExists(path)) => format!(
            "{}: an interrupted rotation must be resumed first (`secrets rotate --env FILE --resume`)",
            path.display()
        ),
        E::CommandNeedsCompose => "--apply command runs in the compose project's containers: give its compose file with --compose FILE".into(),
        E::AdminUrlInForeignFile { key, uid } => format!(
            "--admin-url-var {key}: the admin URL is read from the .env only when root or you own it (it is owned by uid {uid}), since it decides which server gets your identity: pass it on stdin with `--admin-url -`"
        ),
        e => return Failure::from(e),
    };
    Failure::Error(text)
}

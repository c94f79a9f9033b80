//! `secrets rotate`: new values for chosen keys, dependents updated in the
//! same atomic write.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use secrets_core::envfile::Document;
use secrets_core::generate::os_rng;
use secrets_core::rotate::{self, infer::describe, Selection};
use secrets_core::secure_file::{SecureFile, WriteOptions};
use secrets_core::stack::Stack;
use secrets_core::unix_now;

use crate::args::{RotateArgs, StackArgs};
use crate::failure::Failure;

pub fn run(args: RotateArgs) -> Result<ExitCode, Failure> {
    let stack_args = StackArgs {
        manifest: args.manifest.clone(),
        with: args.with.clone(),
    };
    let stack: Option<Stack> =
        if args.manifest.is_some() || !args.with.is_empty() || Path::new("secrets.toml").exists() {
            Some(super::load_stack(&stack_args)?)
        } else {
            None
        };
    let display = args.env.display().to_string();
    if !args.env.exists() && args.env.symlink_metadata().is_err() {
        return Err(Failure::Error(format!(
            "{display}: no such file; create it with `secrets write --out {display}`"
        )));
    }
    let options = WriteOptions::preserving(&args.env)?;
    let target_mode = options.mode();
    let file = SecureFile::new(&args.env, options)?;
    let _lock = file.lock()?;
    let bytes = file
        .read()?
        .ok_or_else(|| Failure::Error(format!("{display}: no such file")))?;
    let mut doc = Document::parse(&bytes).map_err(|e| Failure::Error(format!("{display}:{e}")))?;

    let now = unix_now();
    let selection = Selection {
        keys: args.keys.clone(),
        all: args.all,
        due: args.due,
    };
    let plan = rotate::plan(&doc, stack.as_ref(), &selection, now)?;
    if plan.keys.is_empty() {
        crate::output::print("nothing is due\n")?;
        return Ok(ExitCode::SUCCESS);
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
        let before_mode = {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(file.path()).map_or(target_mode, |m| m.mode() & 0o7777)
        };
        file.replace(doc.render().as_bytes())?;
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
    crate::output::print(&report)?;
    Ok(ExitCode::SUCCESS)
}

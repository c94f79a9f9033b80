//! `secrets get KEY`: one value on stdout, for scripts. Not to a terminal
//! unless asked, so a value does not end up in the scrollback by accident;
//! stdout is checked like any destination of secret output.

use std::io::IsTerminal;
use std::process::ExitCode;

use secrets_core::write_env::get_value;

use crate::args::GetArgs;
use crate::failure::Failure;

pub fn run(args: GetArgs) -> Result<ExitCode, Failure> {
    if std::io::stdout().is_terminal() && !args.to_terminal {
        return Err(Failure::Error(format!(
            "stdout is a terminal: the value of {} would stay in its scrollback; pipe it to a command, or pass --to-terminal",
            args.key
        )));
    }
    // Judged before the .env is read.
    let stdout = crate::output::secret_stdout("pipe it to the command that needs it")?;
    let value = get_value(&args.env, &args.key)?.ok_or_else(|| {
        Failure::Error(format!("{}: no variable {}", args.env.display(), args.key))
    })?;
    // One line: the value and a newline, written from a buffer sized once.
    let mut line = zeroize::Zeroizing::new(Vec::with_capacity(value.len() + 1));
    line.extend_from_slice(value.expose().as_bytes());
    line.push(b'\n');
    drop(value);
    crate::output::write_secret(&stdout, &line)?;
    Ok(ExitCode::SUCCESS)
}

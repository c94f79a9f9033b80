//! `secrets catalog`: the built-in components and the kinds.

use std::fmt::Write as _;
use std::process::ExitCode;

use secrets_core::generate::KINDS;
use secrets_core::manifest::{catalog, ManifestFile};
use secrets_core::rotate::RotationClass;

use crate::args::{CatalogArgs, TextFormat};
use crate::failure::Failure;

pub fn run(args: CatalogArgs) -> Result<ExitCode, Failure> {
    let components = catalog::components()?;
    let out = match args.format {
        TextFormat::Text => text(&components)?,
        TextFormat::Json => format!("{:#}\n", catalog::to_json(&components)),
    };
    crate::output::print(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn text(components: &[ManifestFile]) -> Result<String, std::fmt::Error> {
    let mut out = String::new();
    writeln!(
        out,
        "Components (use with --with NAME,... or `include = [...]`):"
    )?;
    for c in components {
        let about = c.description.as_deref().unwrap_or("");
        writeln!(out, "\n  {} - {about}", c.name)?;
        if !c.include.is_empty() {
            let inc: Vec<&str> = c.include.iter().map(|(n, _)| n.as_str()).collect();
            writeln!(out, "    includes {}", inc.join(", "))?;
        }
        for v in &c.vars {
            let rotation = match &v.rotation {
                Some(r) => format!("{:<24} rotation {}", v.source, r.class),
                None => v.source.to_string(),
            };
            let previous = match &v.previous_keys {
                Some(p) => format!(", previous keys in {p}"),
                None => String::new(),
            };
            writeln!(out, "    {:<28} {rotation}{previous}", v.name)?;
        }
    }
    writeln!(
        out,
        "\nRotation classes (`rotation = \"...\"` in a manifest):"
    )?;
    for c in RotationClass::ALL {
        writeln!(out, "  {:<18} {}", c.name(), c.meaning())?;
    }
    writeln!(out, "\nKinds (`kind = \"...\"` in a manifest):")?;
    for k in KINDS {
        let params = match k.params.is_empty() {
            true => String::new(),
            false => format!(" [{}]", k.params),
        };
        writeln!(out, "  {:<18} {}{params}", k.name, k.summary)?;
    }
    Ok(out)
}

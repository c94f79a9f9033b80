//! `secrets catalog`: the built-in components and the kinds.

use std::process::ExitCode;

use secrets_core::generate::KINDS;
use secrets_core::manifest::{catalog, Source};

use crate::args::{CatalogArgs, TextFormat};
use crate::failure::Failure;

fn source_label(source: &Source) -> String {
    match source {
        Source::Generate(kind) => kind.name().to_owned(),
        Source::Derive { derivation, from } => format!("{} from {from}", derivation.name()),
        Source::Literal(_) => "literal".to_owned(),
        Source::SameAs(other) => format!("same as {other}"),
        Source::Template(_) => "template".to_owned(),
        Source::External => "external".to_owned(),
        _ => "other".to_owned(),
    }
}

pub fn run(args: CatalogArgs) -> Result<ExitCode, Failure> {
    let mut components = Vec::new();
    for name in catalog::component_names() {
        let c = catalog::component(name).expect("listed component exists")?;
        components.push(c);
    }
    use std::fmt::Write as _;
    let mut out = String::new();
    match args.format {
        TextFormat::Text => {
            writeln!(
                out,
                "Components (use with --with NAME,... or `include = [...]`):"
            )?;
            for c in &components {
                writeln!(
                    out,
                    "\n  {} - {}",
                    c.name,
                    c.description.as_deref().unwrap_or("")
                )?;
                if !c.include.is_empty() {
                    let inc: Vec<&str> = c.include.iter().map(|(n, _)| n.as_str()).collect();
                    writeln!(out, "    includes {}", inc.join(", "))?;
                }
                for v in &c.vars {
                    writeln!(out, "    {:<28} {}", v.name, source_label(&v.source))?;
                }
            }
            writeln!(out, "\nKinds (`kind = \"...\"` in a manifest):")?;
            for k in KINDS {
                let params = if k.params.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", k.params)
                };
                writeln!(out, "  {:<18} {}{params}", k.name, k.summary)?;
            }
        }
        TextFormat::Json => {
            let comps: Vec<serde_json::Value> = components
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "name": c.name,
                        "description": c.description,
                        "include": c.include.iter().map(|(n, _)| n).collect::<Vec<_>>(),
                        "vars": c.vars.iter().map(|v| serde_json::json!({
                            "name": v.name,
                            "source": source_label(&v.source),
                            "description": v.description,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let json = serde_json::json!({ "components": comps, "kinds": KINDS });
            writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
        }
    }
    crate::output::print(&out)?;
    Ok(ExitCode::SUCCESS)
}

//! SA008: a Dockerfile `COPY` or `ADD` that takes a secret file into the
//! image (explicitly, or with a directory or glob that holds it, `COPY . .`).

use globset::GlobBuilder;

use super::dockerfile::{instructions, split_args};
use super::dockerignore::DockerIgnore;
use super::walk::Tree;
use crate::check::{Finding, Rule, RuleId, Severity};

pub static RULE: Rule = Rule {
    id: RuleId::DockerfileCopiesSecret,
    name: "dockerfile-copies-secret",
    severity: Severity::High,
    summary: "A Dockerfile COPY or ADD takes a secret file into the image",
    help: "exclude the file in .dockerignore and pass secrets at run time (env_file, secrets)",
};

/// Whether a COPY source (relative to the context) covers `rel`.
fn covers(source: &str, rel: &std::path::Path) -> bool {
    let source = source.trim_start_matches("./").trim_end_matches('/');
    if source.is_empty() || source == "." {
        return true;
    }
    let Ok(glob) = GlobBuilder::new(source).literal_separator(true).build() else {
        return false;
    };
    let m = glob.compile_matcher();
    rel.ancestors()
        .filter(|a| !a.as_os_str().is_empty())
        .any(|a| m.is_match(a))
}

pub fn run(tree: &Tree, out: &mut Vec<Finding>) {
    for dockerfile in &tree.dockerfiles {
        let Some(context) = dockerfile.parent() else {
            continue;
        };
        let ignore = DockerIgnore::parse(
            &tree
                .content(&context.join(".dockerignore"))
                .map(String::from_utf8_lossy)
                .unwrap_or_default(),
        );
        let Some(text) = tree.content(dockerfile) else {
            continue;
        };
        let inside: Vec<_> = tree
            .secret_files
            .iter()
            .filter_map(|f| f.path.strip_prefix(context).ok().map(|rel| (f, rel)))
            .filter(|(_, rel)| !ignore.excludes(rel))
            .collect();
        if inside.is_empty() {
            continue;
        }
        for ins in instructions(text)
            .into_iter()
            .filter(|i| i.keyword == "COPY" || i.keyword == "ADD")
        {
            let (words, flags) = split_args(&ins.args);
            if flags.iter().any(|f| f.starts_with("--from")) || words.len() < 2 {
                continue; // from another stage or image, not from the context
            }
            let sources = &words[..words.len() - 1];
            for (f, rel) in &inside {
                if sources.iter().any(|s| covers(s, rel)) {
                    let message = format!(
                        "{} line {}: {} takes {} into the image",
                        dockerfile.display(),
                        ins.line,
                        ins.keyword,
                        f.path.display()
                    );
                    out.push(Finding::new(
                        &RULE,
                        dockerfile,
                        Some(ins.line),
                        None,
                        message,
                    ));
                }
            }
        }
    }
}

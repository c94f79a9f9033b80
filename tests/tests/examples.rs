//! The library example runs against every example stack and prints names
//! and lengths, never a value.

use std::process::Command;

use secrets_tests::repo_root;

#[test]
fn generate_names_prints_names_and_lengths_only() {
    let example = escargot::CargoBuild::new()
        .package("secrets-examples")
        .example("generate_names")
        .current_release()
        .run()
        .expect("the example builds");
    for stack in ["peakstone", "notion-bot", "viarah", "atom", "atlas"] {
        let manifest = repo_root().join(format!("examples/stacks/{stack}.toml"));
        let o = Command::new(example.path())
            .arg(&manifest)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{stack}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let out = String::from_utf8(o.stdout).unwrap();
        assert!(out.starts_with(&format!("stack {stack} (")), "{out}");
        // Every line after the header is NAME, a length or "(set by the operator)", and a group.
        for line in out.lines().skip(1) {
            let words: Vec<&str> = line.split_whitespace().collect();
            let is_length =
                words.len() == 4 && words[1].parse::<usize>().is_ok() && words[2] == "chars";
            let is_external = line.ends_with("(set by the operator)");
            assert!(
                is_length || is_external,
                "{stack}: unexpected line {line:?}"
            );
        }
    }
    let o = Command::new(example.path())
        .arg("no-such.toml")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

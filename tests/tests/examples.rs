//! The library examples: `generate_names` runs against every example stack
//! and prints names and lengths, never a value; `deploy_step` runs the
//! deploy step through the public API against a real engine.

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

/// The deploy-step example (write, rotate, check + audit gate, swarm dry
/// run, connection string) runs twice against a real engine: exit 0 both
/// times, the second write keeps every value, and no value is printed.
#[test]
fn deploy_step_runs_through_the_public_api_and_prints_no_value() {
    let source = std::fs::read_to_string(repo_root().join("examples/deploy_step.rs")).unwrap();
    assert!(source.lines().count() < 150, "the example stays short");
    let engine = match secrets_tests::docker::Engine::start() {
        Ok(e) => e,
        Err(why) => {
            secrets_tests::skip(
                &why,
                "apt-get install docker.io busybox-static, run as root",
            );
            return;
        }
    };
    let example = escargot::CargoBuild::new()
        .package("secrets-examples")
        .example("deploy_step")
        .current_release()
        .run()
        .expect("the example builds");
    let d = tempfile::tempdir().unwrap();
    let run = || {
        let o = Command::new(example.path())
            .arg(d.path())
            .env("DOCKER_HOST", &engine.host)
            .output()
            .unwrap();
        let out = String::from_utf8(o.stdout).unwrap();
        let err = String::from_utf8(o.stderr).unwrap();
        assert!(o.status.success(), "{out}{err}");
        (out, err)
    };
    let (first, _) = run();
    let env_after_first = std::fs::read_to_string(d.path().join(".env")).unwrap();
    let (second, second_err) = run();
    assert!(first.contains("wrote true") && second.contains("added [], wrote false"));
    for out in [&first, &second] {
        assert!(out.contains("dependents [\"DATABASE_URL\"]"), "{out}");
        assert!(out.contains("none blocking"), "{out}");
        assert!(out.contains("swarm (dry run): would create 3"), "{out}");
        assert!(out.contains("connection: postgresql://postgres:<"), "{out}");
    }
    // A dry run creates nothing.
    let listed = engine.ok(&["secret", "ls", "-q"]).unwrap();
    assert!(listed.trim().is_empty(), "{listed}");
    // No value of either file appears in anything printed.
    let env = std::fs::read_to_string(d.path().join(".env")).unwrap();
    for text in [&env_after_first, &env] {
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let Some((_, value)) = line.split_once('=') else {
                continue;
            };
            if value.len() >= 8 && value != "postgres" {
                for out in [&first, &second, &second_err] {
                    assert!(!out.contains(value), "a value was printed");
                }
            }
        }
    }
}

//! The hand-written corpus of tricky `.env` files renders back byte for
//! byte, and values the library writes are read back by python-dotenv.

use std::fs;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use secrets_core::envfile::{encode, Document, Reader};
use secrets_core::SecretValue;
use secrets_tests::{python, repo_root, require_python, DOTENV};

#[test]
fn every_corpus_file_round_trips_byte_for_byte() {
    let dir = repo_root().join("tests/fixtures/env");
    let mut count = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = fs::read(&path).unwrap();
        let doc = Document::parse(&bytes).unwrap_or_else(|e| panic!("{}:{e}", path.display()));
        assert_eq!(doc.render().as_bytes(), &bytes[..], "{}", path.display());
        count += 1;
    }
    assert!(count >= 40, "the corpus has {count} files, fewer than 40");
}

#[test]
fn corpus_edits_touch_only_the_edited_line() {
    let dir = repo_root().join("tests/fixtures/env");
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = fs::read(&path).unwrap();
        let mut doc = Document::parse(&bytes).unwrap();
        let Some((line, key)) = doc
            .entries_with_lines()
            .last()
            .map(|(l, e)| (l, e.key().to_owned()))
        else {
            continue;
        };
        let before = String::from_utf8(bytes).unwrap();
        doc.set(&key, &SecretValue::new("replaced-value".into()))
            .unwrap();
        let after = doc.render();
        assert_eq!(
            doc.get(&key).unwrap().expose(),
            "replaced-value",
            "{}",
            path.display()
        );
        let (b, a): (Vec<&str>, Vec<&str>) =
            (before.split('\n').collect(), after.split('\n').collect());
        // Lines before the edited assignment are untouched.
        assert_eq!(&a[..line - 1], &b[..line - 1], "{}", path.display());
    }
}

const COMPARE: &str = r#"
import json, sys
from dotenv import dotenv_values
expected = json.load(sys.stdin)
got = dotenv_values(sys.argv[1])
bad = sorted(k for k in expected if expected[k] != got.get(k))
print(" ".join(bad))
sys.exit(1 if bad else 0)
"#;

/// Random values written by the library are read back identically by
/// python-dotenv, except where the encoder says python-dotenv disagrees.
/// Values ending in a backslash are left out: python-dotenv then misreads
/// the following lines too, which the encoder reports for that value.
#[test]
fn python_dotenv_reads_random_written_values() {
    if !require_python(&[DOTENV]) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join(".env");
    let mut runner = TestRunner::new(Config {
        cases: 24,
        ..Config::default()
    });
    let strategy = proptest::collection::vec(
        "([ -~]|\n|\t|é|日){0,24}"
            .prop_filter("ends in a backslash", |v: &String| !v.ends_with('\\')),
        1..30,
    );
    runner
        .run(&strategy, |values| {
            let mut doc = Document::new();
            let mut expected = serde_json::Map::new();
            for (i, v) in values.iter().enumerate() {
                let key = format!("K{i}");
                doc.push(&key, &SecretValue::new(v.clone())).unwrap();
                if !encode(v).disagreeing.contains(&Reader::PythonDotenv) {
                    expected.insert(key, v.clone().into());
                }
            }
            fs::write(&path, doc.render().as_bytes()).unwrap();
            let out = python(
                COMPARE,
                &[path.to_str().unwrap()],
                serde_json::Value::Object(expected).to_string().as_bytes(),
            );
            prop_assert!(
                out.status.success(),
                "python-dotenv disagrees on {}",
                String::from_utf8_lossy(&out.stdout)
            );
            Ok(())
        })
        .unwrap();
}

/// The dialect rule's model of python-dotenv, checked against the real one
/// over the corpus: where the model says python-dotenv agrees with Compose,
/// python-dotenv must read exactly the value Compose reads.
#[test]
fn dialect_model_agrees_with_real_python_dotenv() {
    if !require_python(&[DOTENV]) {
        return;
    }
    let dir = repo_root().join("tests/fixtures/env");
    let script = r#"
import json, sys
from dotenv import dotenv_values
print(json.dumps(dotenv_values(sys.argv[1], interpolate=True)))
"#;
    let mut compared = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let doc = Document::parse(&fs::read(&path).unwrap()).unwrap();
        let out = python(script, &[path.to_str().unwrap()], b"");
        if !out.status.success() {
            continue;
        }
        let real: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&out.stdout).unwrap();
        // Only keys assigned once: python-dotenv and Compose both keep the last.
        for (_, e, raw) in doc.entries_with_raw() {
            if doc.keys().filter(|k| *k == e.key()).count() > 1 {
                continue;
            }
            let model = secrets_core::check::disagreeing_readers(e, raw);
            if !model.contains(&Reader::PythonDotenv) {
                assert_eq!(
                    real.get(e.key()).and_then(|v| v.as_str()),
                    Some(e.value().expose()),
                    "{}: {}",
                    path.display(),
                    e.key()
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 60, "only {compared} values compared");
}

//! Sequences of public calls with arbitrary input never panic: documents
//! parsed from any bytes, edited with any names and values, rotation plans
//! made on one document and applied to another, with and without a stack.
//! Every refusal is an error value.
#![cfg(feature = "rotate")]

use proptest::prelude::*;
use secrets_core::envfile::Document;
use secrets_core::generate::os_rng;
use secrets_core::manifest::ManifestFile;
use secrets_core::rotate::{apply, plan, Selection};
use secrets_core::stack::Stack;
use secrets_core::SecretValue;

#[derive(Debug, Clone)]
enum Op {
    Set(String, String),
    Push(String, String),
    InsertAfter(String, String, String),
    Remove(String),
    Comment(String),
    Plan(Vec<String>, bool),
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Z_]{1,6}",
        Just("POSTGRES_PASSWORD".to_owned()),
        Just("DATABASE_URL".to_owned()),
        "[ -~]{0,8}",
        "(é|日| |=|#|\n){1,3}",
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let value = "([ -~]|\n|\t|é){0,16}";
    prop_oneof![
        (name(), value).prop_map(|(k, v)| Op::Set(k, v)),
        (name(), value).prop_map(|(k, v)| Op::Push(k, v)),
        (name(), name(), value).prop_map(|(a, k, v)| Op::InsertAfter(a, k, v)),
        name().prop_map(Op::Remove),
        "[ -~]{0,12}".prop_map(Op::Comment),
        (proptest::collection::vec(name(), 0..3), any::<bool>()).prop_map(|(k, s)| Op::Plan(k, s)),
    ]
}

fn stack() -> Stack {
    Stack::from_manifest(
        ManifestFile::parse(
            "secrets.toml",
            "[stack]\ninclude = [\"postgres\"]\n[vars.TOKEN]\nkind = \"hex\"\nbytes = 8\n",
        )
        .unwrap(),
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn public_call_sequences_never_panic(
        first in proptest::collection::vec(any::<u8>(), 0..200),
        second in "(([A-Z_]{1,6}=[ -~]{0,10})?\n){0,6}",
        ops in proptest::collection::vec(op(), 0..12),
    ) {
        let stack = stack();
        let mut docs = [
            Document::parse(&first).unwrap_or_default(),
            Document::parse(second.as_bytes()).unwrap_or_default(),
        ];
        let mut plans = Vec::new();
        for (i, op) in ops.into_iter().enumerate() {
            let doc = &mut docs[i % 2];
            match op {
                Op::Set(k, v) => {
                    let ok = doc.set(&k, &SecretValue::new(v)).is_ok();
                    prop_assert_eq!(ok, secrets_core::envfile::is_key(&k));
                }
                Op::Push(k, v) => {
                    let _ = doc.push(&k, &SecretValue::new(v));
                }
                Op::InsertAfter(a, k, v) => {
                    let _ = doc.insert_after(&a, &k, &SecretValue::new(v));
                }
                Op::Remove(k) => {
                    doc.remove(&k);
                }
                Op::Comment(c) => doc.push_comment(&c),
                Op::Plan(keys, with_stack) => {
                    let selection = Selection { keys, ..Selection::default() };
                    let s = with_stack.then_some(&stack);
                    if let Ok(p) = plan(doc, s, &selection, now()) {
                        plans.push((p, with_stack));
                    }
                }
            }
            // Whatever was done renders and parses back.
            let text = doc.render();
            prop_assert!(Document::parse(text.as_bytes()).is_ok());
        }
        // Plans applied to the document they were made on and to the other.
        for (p, with_stack) in &plans {
            for doc in docs.iter_mut() {
                let s = with_stack.then_some(&stack);
                let _ = apply(doc, s, p, true, &mut os_rng(), now());
                prop_assert!(Document::parse(doc.render().as_bytes()).is_ok());
            }
        }
    }
}

/// A fixed time: the sequences do not depend on the clock.
fn now() -> std::time::SystemTime {
    std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000)
}

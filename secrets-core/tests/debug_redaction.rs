//! No `Debug` of a public type that can hold a secret value prints it: each
//! such type is built around a marker value and formatted, `{:?}` and
//! `{:#?}`, and neither the marker nor its base64 may appear.

use base64::Engine as _;
use secrets_core::envfile::Document;
use secrets_core::export::select;
use secrets_core::generate::os_rng;
use secrets_core::manifest::ManifestFile;
use secrets_core::rotate::{apply, plan, Selection};
use secrets_core::stack::{Existing, Stack};
use secrets_core::write_env::{Content, WriteRequest};
use secrets_core::SecretValue;

const MARKER: &str = "Mrk9Qz7vLw2Xp4Ty8Bn6Hs3Jd5Fg1Kc0";

fn assert_redacted(what: &str, value: &dyn std::fmt::Debug) {
    let b64 = base64::engine::general_purpose::STANDARD.encode(MARKER);
    for text in [format!("{value:?}"), format!("{value:#?}")] {
        assert!(!text.contains(MARKER), "{what} prints the value: {text}");
        assert!(!text.contains(&b64), "{what} prints the value's base64");
    }
}

fn marker() -> SecretValue {
    SecretValue::new(MARKER.to_owned())
}

fn stack() -> Stack {
    let manifest = ManifestFile::parse(
        "secrets.toml",
        "[stack]\ninclude = [\"postgres\"]\n[vars.API_TOKEN]\nkind = \"hex\"\nbytes = 16\n",
    )
    .unwrap();
    Stack::from_manifest(manifest).unwrap()
}

#[test]
fn no_debug_prints_a_value() {
    let stack = stack();
    assert_redacted("SecretValue", &marker());

    let text = format!("# c\nPOSTGRES_PASSWORD={MARKER}\nAPI_TOKEN=\"{MARKER}\"\n");
    let mut doc = Document::parse(text.as_bytes()).unwrap();
    assert_redacted("Document", &doc);
    for entry in doc.entries() {
        assert_redacted("Entry", entry);
    }
    assert_redacted("Encoded", &secrets_core::envfile::encode(MARKER));

    let existing: Existing = [("POSTGRES_PASSWORD".to_owned(), marker())].into();
    let resolved = stack.resolve(&existing, &mut os_rng(), 0).unwrap();
    assert_redacted("Resolved", &resolved);

    let selected = select(&doc, Some(&stack), &[]).unwrap();
    assert_redacted("export::Selection", &selected);
    for e in &selected.values {
        assert_redacted("Exported", e);
    }

    let selection = Selection {
        keys: vec!["API_TOKEN".into()],
        ..Selection::default()
    };
    let p = plan(&doc, Some(&stack), &selection, 0).unwrap();
    assert_redacted("Plan", &p);
    let applied = apply(&mut doc, Some(&stack), &p, true, &mut os_rng(), 0).unwrap();
    assert_redacted("rotate::Applied", &applied);
    assert_redacted("Document after rotation", &doc);

    let template = Content::Template {
        name: ".env.example".into(),
        bytes: zeroize::Zeroizing::new(text.clone().into_bytes()),
    };
    assert_redacted("Content::Template", &template);
    assert_redacted(
        "WriteRequest",
        &WriteRequest::new(
            Some(&stack),
            Content::Document(Document::parse(text.as_bytes()).unwrap()),
        ),
    );
    let laid =
        secrets_core::init::lay_out(".env.example", text.as_bytes(), &stack, &mut os_rng(), 0)
            .unwrap();
    assert_redacted("LaidOut", &laid);
}

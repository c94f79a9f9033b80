//! No `Debug` of a public type that can hold a secret value prints it: each
//! such type is built around a marker value and formatted, `{:?}` and
//! `{:#?}`, and neither the marker nor its base64 may appear.

use std::time::UNIX_EPOCH;

use base64::Engine as _;
use secrets_core::envfile::Document;
#[cfg(feature = "export")]
use secrets_core::export::select;
use secrets_core::generate::os_rng;
use secrets_core::manifest::ManifestFile;
#[cfg(feature = "rotate")]
use secrets_core::rotate::{apply, plan, Selection};
use secrets_core::stack::{Existing, Stack};
use secrets_core::write_env::{Content, WriteRequest};
use secrets_core::SecretValue;

const MARKER: &str = "Mrk9Qz7vLw2Xp4Ty8Bn6Hs3Jd5Fg1Kc0";

fn assert_redacted(what: &str, value: &dyn std::fmt::Debug) {
    assert_hides(what, MARKER, value);
}

/// Neither `secret` nor its base64 appears in `value`'s `Debug`.
fn assert_hides(what: &str, secret: &str, value: &dyn std::fmt::Debug) {
    let b64 = base64::engine::general_purpose::STANDARD.encode(secret);
    for text in [format!("{value:?}"), format!("{value:#?}")] {
        assert!(!text.contains(secret), "{what} prints the value: {text}");
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
    #[cfg_attr(not(feature = "rotate"), allow(unused_mut))]
    let mut doc = Document::parse(text.as_bytes()).unwrap();
    assert_redacted("Document", &doc);
    for entry in doc.entries() {
        assert_redacted("Entry", entry);
    }
    assert_redacted("Encoded", &secrets_core::envfile::encode(MARKER));

    let existing: Existing = [("POSTGRES_PASSWORD".to_owned(), marker())].into();
    let resolved = stack.resolve(&existing, &mut os_rng(), UNIX_EPOCH).unwrap();
    assert_redacted("Resolved", &resolved);

    #[cfg(feature = "export")]
    {
        let selected = select(&doc, Some(&stack), &[]).unwrap();
        assert_redacted("export::Selection", &selected);
        for e in &selected.values {
            assert_redacted("Exported", e);
        }
    }

    #[cfg(feature = "rotate")]
    {
        let selection = Selection {
            keys: vec!["API_TOKEN".into()],
            ..Selection::default()
        };
        let p = plan(&doc, Some(&stack), &selection, UNIX_EPOCH).unwrap();
        assert_redacted("Plan", &p);
        let applied = apply(&mut doc, Some(&stack), &p, true, &mut os_rng(), UNIX_EPOCH).unwrap();
        assert_redacted("rotate::Applied", &applied);
        assert_redacted("Document after rotation", &doc);
    }

    let template = Content::Template {
        name: ".env.example".into(),
        bytes: text.clone().into_bytes().into(),
    };
    assert_redacted("Content::Template", &template);
    assert_redacted(
        "WriteRequest",
        &WriteRequest::new(
            Some(&stack),
            Content::Document(Document::parse(text.as_bytes()).unwrap()),
        ),
    );
    let laid = secrets_core::init::lay_out(
        ".env.example",
        text.as_bytes(),
        &stack,
        &mut os_rng(),
        UNIX_EPOCH,
    )
    .unwrap();
    assert_redacted("LaidOut", &laid);
}

/// A database step holds the admin URL's password and the roles' old and
/// new passwords; refused URLs must not echo them in their errors either.
#[cfg(feature = "postgres")]
#[test]
fn no_postgres_debug_prints_a_password() {
    use secrets_core::postgres::AdminUrl;

    let url = |text: String| AdminUrl::new(SecretValue::new(text));
    let admin = url(format!(
        "postgresql://admin:{MARKER}@127.0.0.1:5432/postgres"
    ))
    .unwrap();
    assert_redacted("AdminUrl", &admin);
    let key_value = url(format!(
        "host=localhost user=admin password={MARKER} sslmode=disable"
    ))
    .unwrap();
    assert_redacted("AdminUrl (key=value)", &key_value);
    for refused in [
        format!("postgresql://admin:{MARKER}@[::1/postgres"),
        format!("postgresql://admin:{MARKER}@db.example.com/postgres?sslmode=verify-full"),
        format!("postgresql://admin:{MARKER}@localhost/postgres?sslmode={MARKER}"),
        format!("host=localhost password={MARKER} channel_binding={MARKER}"),
        format!("host=localhost password={MARKER} sslrootcert=/nonexistent/ca.pem"),
    ] {
        let e = url(refused).unwrap_err();
        assert_redacted("PgError", &e);
        assert!(
            !e.to_string().contains(MARKER),
            "PgError displays the value: {e}"
        );
    }
}

/// Identities hold private keys; a file that is not one may hold anything.
#[cfg(feature = "age")]
#[test]
fn no_age_debug_prints_a_key() {
    use age::secrecy::ExposeSecret as _;
    use secrets_core::crypt::{decrypt, encrypt, Identities, Recipients};

    let dir = tempfile::tempdir().unwrap();
    let key = age::x25519::Identity::generate();
    let secret_key = key.to_string().expose_secret().to_owned();
    let key_file = dir.path().join("key.txt");
    std::fs::write(&key_file, format!("{secret_key}\n")).unwrap();
    let mut identities = Identities::new();
    identities.add_file(&key_file).unwrap();
    assert_hides("Identities", &secret_key, &identities);

    let mut recipients = Recipients::new();
    recipients
        .add(&key.to_public().to_string(), "test")
        .unwrap();
    assert_redacted("Recipients", &recipients);
    let sealed = encrypt(MARKER.as_bytes(), &recipients, false).unwrap();
    assert_redacted("ciphertext", &sealed);
    let opened = decrypt(&sealed[..], &identities, &key_file).unwrap();
    assert_eq!(&opened[..], MARKER.as_bytes());
    // Plaintext bytes: not even as a list of numbers.
    let shown = format!("{opened:?}");
    assert_eq!(shown, format!("SecretBytes({} bytes)", MARKER.len()));

    let not_a_key = dir.path().join("not-a-key");
    std::fs::write(&not_a_key, MARKER).unwrap();
    let e = Identities::new().add_file(&not_a_key).unwrap_err();
    assert_redacted("CryptError", &e);
    assert!(
        !e.to_string().contains(MARKER),
        "CryptError displays the value: {e}"
    );
    let e = Recipients::new().add(MARKER, "test").unwrap_err();
    assert_redacted("CryptError (recipient)", &e);
    assert!(
        !e.to_string().contains(MARKER),
        "CryptError displays the value: {e}"
    );
}

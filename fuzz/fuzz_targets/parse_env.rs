//! The `.env` parser on arbitrary bytes: it must never panic, and whatever it
//! accepts must render back byte for byte; an edit must leave a document that
//! parses again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secrets_core::envfile::Document;
use secrets_core::SecretValue;

fuzz_target!(|data: &[u8]| {
    if let Ok(mut doc) = Document::parse(data) {
        assert_eq!(doc.render().as_bytes(), data);
        let keys: Vec<String> = doc.keys().map(String::from).collect();
        if let Some(key) = keys.first() {
            doc.set(key, &SecretValue::new("x y'\"$\\\n".into()));
            let again = Document::parse(doc.render().as_bytes()).expect("an edited document parses");
            assert_eq!(again.get(key).map(|v| v.expose().to_owned()).as_deref(), Some("x y'\"$\\\n"));
        }
    }
});

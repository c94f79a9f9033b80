//! Property tests of the `.env` document: lossless round trips, no panics on
//! arbitrary bytes, and values written by the library read back identically
//! by dotenvy (the other readers are checked in the workspace's tests/).

use proptest::prelude::*;
use secrets_core::check::runs_on;
use secrets_core::envfile::{encode, Document, Reader};
use secrets_core::SecretValue;

/// One line a reader would accept, with its terminator.
fn line() -> impl Strategy<Value = String> {
    let key = "[A-Za-z_][A-Za-z0-9_.]{0,12}";
    let bare = "[A-Za-z0-9_./:@%+=,-]{0,20}";
    let single = "[^'\\\\\r\n]{0,20}";
    let double = "([^\"\\\\\r\n]|\\\\[nrt\"\\\\$])*";
    let comment = "[^\r\n]{0,30}";
    let nl = prop_oneof![Just("\n"), Just("\r\n")];
    let body = prop_oneof![
        (key, bare).prop_map(|(k, v)| format!("{k}={v}")),
        (key, single).prop_map(|(k, v)| format!("{k}='{v}'")),
        (key, double).prop_map(|(k, v)| format!("{k}=\"{v}\"")),
        (key, bare, comment).prop_map(|(k, v, c)| format!("export {k} = {v} #{c}")),
        comment.prop_map(|c| format!("#{c}")),
        "[ \t]{0,4}".prop_map(String::from),
    ];
    (body, nl).prop_map(|(b, n)| format!("{b}{n}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_never_panics_and_accepted_input_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(doc) = Document::parse(&bytes) {
            let rendered = doc.render();
            prop_assert_eq!(rendered.as_bytes(), &bytes[..]);
        }
    }

    #[test]
    fn random_documents_round_trip(lines in proptest::collection::vec(line(), 0..30), drop_last_newline in any::<bool>()) {
        let mut text: String = lines.concat();
        if drop_last_newline {
            while text.ends_with(['\n', '\r']) {
                text.pop();
            }
        }
        let doc = Document::parse(text.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let rendered = doc.render();
        prop_assert_eq!(rendered.as_str(), text.as_str());
    }

    #[test]
    fn written_values_read_back_identically(values in proptest::collection::vec("([ -~]|\n|\t|é|日){0,24}", 1..20)) {
        let mut doc = Document::new();
        for (i, v) in values.iter().enumerate() {
            doc.push(&format!("K{i}"), &SecretValue::new(v.clone())).unwrap();
        }
        let text = doc.render();
        // Our own reader (Docker Compose's rules) always agrees.
        let back = Document::parse(text.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for (i, v) in values.iter().enumerate() {
            prop_assert_eq!(back.get(&format!("K{i}")).unwrap().expose(), v.as_str());
        }
        // dotenvy agrees unless the encoder said it would not, up to a line
        // after which the model says dotenvy reads no further.
        let parsed: std::collections::HashMap<String, String> =
            dotenvy::from_read_iter(text.as_bytes()).flatten().collect();
        for ((i, v), (_, e, raw)) in values.iter().enumerate().zip(back.entries_with_raw()) {
            if !encode(v).disagreeing.contains(&Reader::Dotenvy) {
                prop_assert_eq!(parsed.get(&format!("K{i}")), Some(v), "dotenvy read K{} differently", i);
            }
            if runs_on(e, raw).contains(&Reader::Dotenvy) {
                break;
            }
        }
    }
}

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;

use super::bound::at_least;
use super::*;

/// zxcvbn's guesses for a sample, as it counts them.
fn zxcvbn_guesses(sample: &str) -> u64 {
    zxcvbn::zxcvbn(sample, &[]).guesses()
}

/// The bound is sound for `value` when it never claims more guesses than
/// zxcvbn counts.
fn assert_sound(value: &str) {
    let sample = sample(value);
    let guesses = zxcvbn_guesses(sample);
    if let Some(more) = guesses.checked_add(1) {
        assert!(
            !at_least(sample, more),
            "bound above zxcvbn's {guesses} for {sample:?}"
        );
    }
}

#[test]
fn powers_of_ten_have_exact_log10() {
    // `at_least(10^k)` settles `log10 >= k` only if these are exact.
    for k in [12u32, 16] {
        assert_eq!((10u64.pow(k) as f64).log10(), f64::from(k));
    }
}

#[test]
fn tables_describe_the_linked_zxcvbn() {
    // The tables and the bound's constants hold for one version only: the
    // one the manifest pins exactly. In the workspace the pin is in the
    // workspace's Cargo.toml; a packaged crate's own Cargo.toml carries it.
    let manifest =
        |rel: &str| std::fs::read_to_string(format!("{}/{rel}", env!("CARGO_MANIFEST_DIR"))).ok();
    let own = manifest("Cargo.toml").expect("the crate's Cargo.toml");
    let pinned = |text: &str| text.contains(&format!("\"={}\"", tables::ZXCVBN_VERSION));
    let in_workspace = own.contains("zxcvbn = { workspace = true");
    let pins = if in_workspace {
        manifest("../Cargo.toml")
            .is_some_and(|w| w.lines().any(|l| l.starts_with("zxcvbn = ") && pinned(l)))
    } else {
        own.split("[dependencies.zxcvbn]")
            .nth(1)
            .is_some_and(|section| section.lines().take(3).any(pinned))
    };
    assert!(pins, "zxcvbn is not pinned to ={}", tables::ZXCVBN_VERSION);
    assert_eq!(tables::WORDS.len() % 8, 0);
    for word in ["incontrovertible", "1qaz2wsx3edc", "qwertyuiopasdfghjkl"] {
        let guesses = zxcvbn_guesses(word);
        assert!(guesses < 1_000_000, "{word}: {guesses}");
        assert!(!at_least(word, guesses + 1), "{word}");
    }
}

#[test]
fn patterns_longer_than_the_unchecked_spans_are_found() {
    // Weak values too long to be covered by unchecked spans alone: only
    // finding their long words, walks, sequences and repetitions keeps the
    // bound under zxcvbn's estimate.
    for value in [
        "incontrovertibleinconsequential",
        "elbitrevortnocnilaitneuqesnocni",
        "1nc0ntr0v3rt1bl3inc0ns3qu3nt1al",
        "INCONTROVERTIBLEinconsequential",
        "1234567890-0987654321234567890-",
        "abcdefghijklmnopqrstuvwxyz12345",
        "Zq8xT2Zq8xT2Zq8xT2Zq8xT2Zq8xT2Zq8xT2",
    ] {
        assert!(value.len() > 3 * (tables::PREFIX_LEN - 1), "{value}");
        let guesses = zxcvbn_guesses(value);
        assert!(guesses < 1_000_000_000_000, "{value}: {guesses}");
        assert!(!at_least(value, 1_000_000_000_000), "{value}");
    }
}

#[cfg(feature = "vapid")] // the whole catalog holds a VAPID pair
#[test]
fn generated_secrets_are_settled_without_zxcvbn() {
    use crate::manifest::catalog;
    use crate::stack::Stack;

    let mut rng = StdRng::from_os_rng();
    for group in catalog::composable_groups().expect("catalog") {
        let group: Vec<String> = group.iter().map(|c| c.to_string()).collect();
        let stack = Stack::from_components("group", &group).expect("catalog");
        generated_secrets_of_a_stack_are_settled(&stack, &mut rng);
    }
}

#[cfg(feature = "vapid")]
fn generated_secrets_of_a_stack_are_settled(stack: &crate::stack::Stack, rng: &mut StdRng) {
    use crate::check::{secret_entries, EnvContext};
    use crate::stack::Existing;

    for _ in 0..20 {
        let resolved = stack
            .resolve(&Existing::new(), rng, crate::at(1_700_000_000))
            .expect("resolve");
        let (doc, _) =
            crate::envfile::render::new_document(stack, &resolved, std::time::UNIX_EPOCH);
        for with in [None, Some(stack)] {
            let cx = EnvContext {
                path: std::path::Path::new(".env"),
                doc: &doc,
                stack: with,
                example: None,
                example_path: None,
                now: std::time::UNIX_EPOCH,
            };
            let entries = secret_entries(&cx);
            assert!(!entries.is_empty(), "{}", stack.name);
            for (_, key, value) in entries {
                assert!(
                    value.is_empty() || at_least(sample(value), 10u64.pow(12)),
                    "{key}"
                );
            }
        }
    }
}

#[test]
fn corpus_and_generated_values_keep_the_bound_under_zxcvbn() {
    let mut rng = StdRng::seed_from_u64(18);
    use crate::generate::{Alphabet, JwtAlg, Kind};
    for kind in [
        Kind::Password {
            length: 32,
            alphabet: Alphabet::EnvSafe,
        },
        Kind::Hex { bytes: 16 },
        Kind::Base64 {
            bytes: 32,
            urlsafe: false,
            padded: true,
        },
        Kind::Token { bytes: 32 },
        Kind::JwtSecret { alg: JwtAlg::Hs512 },
        Kind::DjangoSecretKey { length: 50 },
        Kind::Fernet,
        Kind::VapidPrivateKey,
    ] {
        for _ in 0..3 {
            assert_sound(kind.generate(&mut rng).expose());
        }
    }
    for value in [
        "",
        "a",
        "password",
        "P@ssw0rd2024!",
        "correcthorsebatterystaple",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "19911231199112311991123119911231",
        "zxcvbnmasdfghjklqwertyuiop1234567890",
        "pässwörd-pässwörd",
    ] {
        assert_sound(value);
    }
}

/// Pieces zxcvbn recognises, to build values near its threshold.
fn piece() -> impl Strategy<Value = String> {
    let words = prop::sample::select(vec![
        "password",
        "monkey",
        "dragon",
        "incontrovertible",
        "inconsequential",
        "hunter",
        "michael",
        "jennifer",
        "smith",
        "batman",
        "trustno1",
        "iloveyou",
        "P@ssw0rd",
        "Password",
        "PASSWORD",
        "drowssap",
        "1nc0ntr0v3rt1bl3",
        "internationalization",
        "administrator",
        "superman",
        "football",
        "letmein",
        "Secret",
        "c0mput3r",
    ]);
    let walks = prop::sample::select(vec![
        "qwertyuiop",
        "asdfghjkl",
        "zxcvbnm",
        "1qaz2wsx3edc",
        "!@#$%^&*()",
        "7894561230",
        "qazwsxedcrfv",
        "poiuytrewq",
        "',.pyfgcrl",
        "aoeuidhtns",
        "1234567890",
        "+-*/",
    ]);
    let sequences = prop::sample::select(vec![
        "abcdefghijklmnopqrstuvwxyz",
        "0123456789",
        "ACEGIKMOQSUWY",
        "zyxwvutsrqp",
        "97531",
        "ABCDEFGHIJKLMNOP",
    ]);
    let dates = prop::sample::select(vec![
        "1991-12-31",
        "19911231",
        "12/31/91",
        "1987",
        "2024",
        "31.12.1999",
        "010203",
    ]);
    let random = "[A-Za-z0-9_.~!-]{1,12}";
    prop_oneof![
        words.prop_map(String::from),
        (walks, 3usize..12).prop_map(|(w, n)| w.chars().take(n).collect()),
        (sequences, 2usize..20).prop_map(|(s, n)| s.chars().take(n).collect()),
        dates.prop_map(String::from),
        random.prop_map(String::from),
        ("[A-Za-z0-9]{1,8}", 2usize..5).prop_map(|(b, k)| b.repeat(k)),
        ("[A-Za-z0-9]{9,14}", 2usize..4).prop_map(|(b, k)| b.repeat(k)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn bound_never_exceeds_zxcvbn(pieces in prop::collection::vec(piece(), 1..7)) {
        assert_sound(&pieces.concat());
    }

    #[test]
    fn bound_never_exceeds_zxcvbn_on_random_text(value in "[ -~]{1,40}") {
        assert_sound(&value);
    }
}

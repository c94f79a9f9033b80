//! The guessability verdicts of SC008 (low-entropy) and SA012
//! (template-real-secret) on a fixed corpus of weak and strong values. The
//! table was computed with the zxcvbn-only estimator that preceded the fast
//! lower bound (`strength`); the two rules must keep every verdict.

#![cfg(all(feature = "audit", feature = "entropy"))]

use std::collections::BTreeSet;

use secrets_core::audit::{audit, AuditOptions};
use secrets_core::check::{check_env, EnvContext, RuleId};
use secrets_core::envfile::Document;
use secrets_core::SecretValue;

/// (value, flagged by SC008 in a `.env`, flagged by SA012 in a `.env.example`).
#[rustfmt::skip]
const CORPUS: &[(&str, bool, bool)] = &[
    (r#"89xhDJuhrBzNvgZHzmwjRI60LBrve17A"#, false, true),
    (r#"postgresql://postgres:89xhDJuhrBzNvgZHzmwjRI60LBrve17A@postgres:5432/app"#, false, true),
    (r#"LYz1LqvpOWQEDHO_vS3PDyZYeqfGdUVNGCuZPeLOa6M"#, false, true),
    (r#"VhMWSJDteD804MvBJy-dQ5f2hKNCAcVJ4Y124tAsygs"#, false, true),
    (r#"{"type":"HS256","key":"LYz1LqvpOWQEDHO_vS3PDyZYeqfGdUVNGCuZPeLOa6M"}"#, false, true),
    (r#"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjIxMTA4ODYyNTQsImlhdCI6MTc5NTUyNjI1NCwiaXNzIjoic3VwYWJhc2UiLCJyb2xlIjoiYW5vbiJ9.IyRzKBrVsaDeJWRWnH-VuAL22TcZAHjuNbDnhXcZcyY"#, false, true),
    (r#"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjIxMTA4ODYyNTQsImlhdCI6MTc5NTUyNjI1NCwiaXNzIjoic3VwYWJhc2UiLCJyb2xlIjoic2VydmljZV9yb2xlIn0.yy7Ijy2bySL7JRfc9G-sZre9cI38V0WKlQjAMKpdsBM"#, false, true),
    (r#"jUp7xeap4bFtlphb1U7sE7VPSy12gajs"#, false, true),
    (r#"63f56dc92e35503c34c957c43008ca5d4c56aa6f19987a718096ebef9ecfafa7"#, false, true),
    (r#"6e41d3205ab2c3e4529e3d3a5feb98ff"#, false, true),
    (r#"6CEEs2JYe1JqjlWoCNif1yZdMct1NGt4"#, false, true),
    (r#"XTH3JRmK1Rpfd2uqDrG3YPnjIqf2METW"#, false, true),
    (r#"U0xWx3BbQnVmmzp42PfkBpXkuWaGpuxG"#, false, true),
    (r#"FkM1ZBcK9eplEul5hYK9fJ5pzpCVFc3GNdJPgNsj"#, false, true),
    (r#"UbSEyyZgl1zHNF9PGZgpn2yJJKVRv0hP"#, false, true),
    (r#"Ld1pRQXoynTFxbU9ySYvpv1Kr2OGqHsB"#, false, true),
    (r#"mongodb://kqo2xe7hz6tv:Ld1pRQXoynTFxbU9ySYvpv1Kr2OGqHsB@mongodb:27017/?authSource=admin"#, false, true),
    (r#"w65DSEHuU-rHr7Bw4mxDIaKeW1T9BctX9vbjwD5qD.F7x4zQBTOCZcnSuFaytkFN"#, false, true),
    (r#"3mKGEGDR2hVlKUgt-xfc4gbDt6Pjk4di_MUx1vuGDJY"#, false, true),
    (r#"BDHsjuWQ7SN115QfItJMSJ3xK3EGA3wslGJOvblMnO6JeJmDV7bLfYK4zbG6jr-nZHjM_0JCpdbkMxCqTY_tFoE"#, false, true),
    (r#"lhQCvpm8"#, true, false),
    (r#"FOFlEsD4qm"#, true, false),
    (r#"q5ShuHRWYl3"#, true, false),
    (r#"98ZpkpmVxKGm"#, false, false),
    (r#"ZR53W1FnTtqav"#, false, false),
    (r#"zoXUzIwLKHr0rM"#, false, false),
    (r#"TtJhsEK7GjFRYOYk"#, false, true),
    (r#"mnPRZBiAGEKg6TmLqI2v"#, false, true),
    (r#"YZ10QIEfFjEjFfpPfIwn76YO"#, false, true),
    (r#"zYL0IRWHaiXS24fEz0zlyAirTzRS"#, false, true),
    (r#"xjvvU2Nt6iBSI3b5KBjXkNVZP5BaGJJ0"#, false, true),
    (r#"DJgaXMXqBVzENJE3A1415Yjol2Yl9xUOtFdX0f7w"#, false, true),
    (r#"WIVl2Hj7nq8ek1KSYoi7tgLxewvfMr7wUkzSA1GAVHTar7BZVcKqzrfnskxiSRPC"#, false, true),
    (r#"fgW1u1RqX1JXDHKfoTe3D4X8ukWUfox3I7OFHX6GXy2zRtDWbGP771mQnbfzQWxTeKarnpIiTPub8ioTTCrbHBR7VGkrAi5FNpNr"#, false, true),
    (r#"EdHMTYwGdNDsZSsT6NamQO3HK4nbkt1pmAe1J3lbDIOpDfVS1FEnmWCuOqBtimy1OvV7SRJIq5xncQPVeN76jzefF9qw9nEe4e3xjvvaBwmc7sn0p8lNjw0OmbLciJZ8Yu8jdpQYUkvtSJuXLu2H0L"#, false, true),
    (r#"a89b7fbddb"#, true, false),
    (r#"38e46fb7e96f"#, false, false),
    (r#"489cb8f9690c7c13"#, false, true),
    (r#"b1cd2dbfb6d9c7272da8dbab"#, false, true),
    (r#"b5951a06c7af3f9a429787dd623daaa6"#, false, true),
    (r#"0255004c346dc7a4cd1c6faee1d2185184a301039a89e4ac"#, false, true),
    (r#"9227d248a710e3ca2d3851a196d564fe714bb85ce6b7afcbf7dc4f0b56fe9d73"#, false, true),
    (r#"Nafl9F3lWUfL"#, false, false),
    (r#"fQxSEmqvEwRf3JYq"#, false, true),
    (r#"-BVttkG2xVGXhzjG8K7162"#, false, true),
    (r#"5w__SfwxVHf8ysgvClIvidQE8F8bwtMZaaW2ezTK3oB"#, false, true),
    (r#"NI20JGRpepfWhqQupnobaG76kmx7a2T3As20VyEMctTy609yecRK4pYwcbpOLai1n76gdoEWciri7RRqZoZl7X"#, false, true),
    (r#"L6RfgIJtFJs2LDqBDg0lRG4Jd0hXChn+NPHyCXsi7+0="#, false, true),
    (r#"2fPl7p7+1IX9/r35B0wTf1x9IfZQoJhV3chDV+mbm04M"#, false, true),
    (r#"6fb4cf39-629f-4857-af80-112b120bce01"#, false, true),
    (r#"(LgPBMMSfLtAgEl97bLXxGDIX2EbfoTqeb9NdW0c^^JK-xl#%B"#, false, true),
    (r#"38fasf3nj42u"#, false, false),
    (r#"jsiiwsxlqkjxgeyzklgwrpxvtkterjyc"#, false, true),
    (r#"61765314983446185763"#, false, true),
    (r#"4298374054190846163921931611126389597069"#, false, true),
    (r#"password"#, false, false),
    (r#"Password1"#, true, false),
    (r#"P@ssw0rd"#, true, false),
    (r#"P@ssw0rd2024!"#, true, false),
    (r#"letmein"#, true, false),
    (r#"qwerty123"#, true, false),
    (r#"iloveyou"#, true, false),
    (r#"Tr0ub4dor&3"#, true, false),
    (r#"correcthorsebatterystaple"#, false, false),
    (r#"correct horse battery staple"#, false, true),
    (r#"hunter2"#, true, false),
    (r#"admin"#, false, false),
    (r#"root"#, true, false),
    (r#"secret"#, false, false),
    (r#"changeme"#, false, false),
    (r#"supersecret"#, true, false),
    (r#"mysecretpassword"#, true, false),
    (r#"postgres"#, true, false),
    (r#"example"#, false, false),
    (r#"123456789012"#, true, false),
    (r#"1234567890abcdef"#, true, false),
    (r#"abcdefghijklmnopqrstuvwxyz"#, true, false),
    (r#"zyxwvutsrqponmlkjihgfedcba"#, true, false),
    (r#"qwertyuiopasdfghjklzxcvbnm"#, true, false),
    (r#"1qaz2wsx3edc4rfv5tgb"#, true, false),
    (r#"zaq12wsxcde34rfv"#, true, false),
    (r#"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"#, true, false),
    (r#"0000000000000000000000000000000000000000000000000000000000000000"#, true, false),
    (r#"deadbeefdeadbeefdeadbeefdeadbeef"#, true, false),
    (r#"abcabcabcabcabcabcabcabcabcabcabc"#, true, false),
    (r#"passwordpasswordpasswordpassword"#, true, false),
    (r#"Password1Password1Password1Pass"#, true, false),
    (r#"drowssapdrowssap"#, true, false),
    (r#"incontrovertible"#, true, false),
    (r#"incontrovertibleinconsequential"#, true, false),
    (r#"incontrovertible-inconsequential-2024"#, false, false),
    (r#"1nc0ntr0v3rt1bl3"#, true, false),
    (r#"elbitrevortnocni"#, true, false),
    (r#"1991-12-31"#, true, false),
    (r#"19911231"#, true, false),
    (r#"31/12/1991"#, true, false),
    (r#"2024"#, true, false),
    (r#"summer2024"#, true, false),
    (r#"Summer2024!"#, true, false),
    (r#"monkey123456"#, true, false),
    (r#"qazwsxedcrfvtgbyhnujmikolp"#, false, false),
    (r#"!@#$%^&*()_+"#, true, false),
    (r#"1234567890-="#, true, false),
    (r#"789456123"#, true, false),
    (r#"147258369"#, true, false),
    (r#"9876543210"#, true, false),
    (r#"c0rr3ct h0rs3 b4tt3ry st4pl3"#, false, true),
    (r#"jennifer1990"#, true, false),
    (r#"michaeljordan23"#, true, false),
    (r#"batman_robin_1939"#, true, false),
    (r#"ThisIsMyPasswordForPostgres"#, false, true),
    (r#"my-super-secret-jwt-key-change-me"#, false, false),
    (r#"your-256-bit-secret"#, false, false),
    (r#"sk_test_4eC39HqLyjWDarjtT1zdp7dc"#, false, true),
    (r#"AKIAIOSFODNN7EXAMPLE"#, false, false),
    (r#"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"#, false, false),
    (r#"super-secret-jwt-token-with-at-least-32-characters-long"#, false, true),
    (r#"minioadmin"#, false, false),
    (r#"Zq8xT2mVZq8xT2mVZq8xT2mVZq8xT2mV"#, true, false),
    (r#"Zq8xT2mV9pL4rB7nZq8xT2mV9pL4rB7n"#, false, true),
    (r#"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz0123456789"#, true, false),
    (r#"0123456789012345678901234567890123456789"#, true, false),
    (r#"qwertyuiopqwertyuiopqwertyuiopqwertyuiop"#, true, false),
    (r#"1q2w3e4r5t6y7u8i9o0p"#, true, false),
    (r#"Xk9pL2mQ7vR4incontrovertibleZt5wB8nF3"#, false, true),
    (r#"Q7vR4incontrovertibleZt5wB8nF3yH2"#, false, true),
    (r#"passwordXk9pL2mQ7vR4"#, false, false),
    (r#"Xk9pL2mQpasswordpassword"#, true, false),
    (r#"trustno1trustno1trustno1trustno1trustno1"#, true, false),
    (r#"mississippimississippimississippi"#, true, false),
    (r#"The quick brown fox jumps over the lazy dog"#, false, true),
    (r#"thequickbrownfoxjumpsoverthelazydog"#, false, true),
    (r#"ihatemyjobihatemyjobihatemyjob123"#, true, false),
    (r#"Kj8#mP2$vL9@"#, false, false),
    (r#"a"#, true, false),
    (r#"ab"#, true, false),
    (r#"x1"#, true, false),
    (r#"pässwörd"#, true, false),
    (r#"密码密码密码密码"#, true, false),
    (r#"Zq8xT2mV9pL4rB7nK1wY6sD3fH0jG5cAé"#, false, true),
    (r#"🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑"#, true, false),
    (r#"abc123abc123abc123abc123abc123abc123abc123abc123abc123abc123"#, true, false),
    (r#"qwertyqwertyqwertyqwertyqwertyqwertyqwertyqwertyqwertyqwertyqwertyqwertyqwertyqwertyqwertyqwertyqwertyqwertyqwerty"#, true, false),
    (r#"19901231199012311990123119901231"#, true, false),
    (r#"1a2b3c4d5e6f7g8h9i0j"#, false, false),
    (r#"!QAZ@WSX#EDC$RFV%TGB"#, false, true),
    (r#"zxcvbnmasdfghjklqwertyuiop1234567890"#, false, false),
    (r#"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaK9vX2mQ7pL4rB8nZ"#, true, false),
    (r#"ABCDEFGHIJKLMNOPQRSTUVWXYZ"#, true, false),
    (r#"AbCdEfGhIjKlMnOpQrStUvWxYz"#, false, true),
    (r#"hello world hello world hello world"#, false, false),
    (r#"correcthorse"#, true, false),
    (r#"CorrectHorseBatteryStaple1!"#, false, true),
    (r#"admin@example.com"#, false, false),
    (r#"postgresql://postgres:postgres@localhost:5432/postgres"#, false, true),
    (r#"{"type":"HS256","key":"this-is-my-jwt-secret-key"}"#, false, true),
    (r#"gFXpasswordXFg"#, true, false),
    (r#"NLXnRpasswordRnXLN"#, false, false),
    (r#"fkrDi75password57iDrkf"#, false, true),
    (r#"YihgkbOnUpasswordUnObkghiY"#, false, true),
    (r#"gFXincontrovertibleXFg"#, true, false),
    (r#"NLXnRincontrovertibleRnXLN"#, false, false),
    (r#"fkrDi75incontrovertible57iDrkf"#, false, true),
    (r#"YihgkbOnUincontrovertibleUnObkghiY"#, false, true),
    (r#"gFXqwertyuiopXFg"#, true, false),
    (r#"NLXnRqwertyuiopRnXLN"#, false, false),
    (r#"fkrDi75qwertyuiop57iDrkf"#, false, true),
    (r#"YihgkbOnUqwertyuiopUnObkghiY"#, false, true),
    (r#"gFX19911231XFg"#, true, false),
    (r#"NLXnR19911231RnXLN"#, false, false),
    (r#"fkrDi751991123157iDrkf"#, false, true),
    (r#"YihgkbOnU19911231UnObkghiY"#, false, true),
    (r#"gFXabcdefghXFg"#, true, false),
    (r#"NLXnRabcdefghRnXLN"#, false, false),
    (r#"fkrDi75abcdefgh57iDrkf"#, false, true),
    (r#"YihgkbOnUabcdefghUnObkghiY"#, false, true),
];

fn key(i: usize) -> String {
    format!("V{i:03}_PASSWORD")
}

/// The keys each rule reports.
fn verdicts() -> (BTreeSet<String>, BTreeSet<String>) {
    let mut doc = Document::new();
    for (i, (value, _, _)) in CORPUS.iter().enumerate() {
        doc.push(&key(i), &SecretValue::new((*value).to_owned()))
            .unwrap();
    }
    let path = std::path::Path::new(".env");
    let sc008 = check_env(&EnvContext {
        path,
        doc: &doc,
        stack: None,
        example: None,
        example_path: None,
        now: std::time::UNIX_EPOCH,
    })
    .into_iter()
    .filter(|f| f.rule == RuleId::LowEntropy)
    .filter_map(|f| f.key)
    .collect();

    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join(".env.example"), doc.render().as_bytes()).expect("write");
    let report = audit(&AuditOptions::new(
        vec![dir.path().to_owned()],
        std::time::UNIX_EPOCH,
    ))
    .expect("audit");
    let sa012 = report
        .findings
        .into_iter()
        .filter(|f| f.rule == RuleId::TemplateRealSecret)
        .filter_map(|f| f.key)
        .collect();
    (sc008, sa012)
}

#[test]
fn guessability_verdicts_are_unchanged() {
    let (sc008, sa012) = verdicts();
    let changed: Vec<String> = CORPUS
        .iter()
        .enumerate()
        .filter(|(i, (_, weak, real))| {
            sc008.contains(&key(*i)) != *weak || sa012.contains(&key(*i)) != *real
        })
        .map(|(i, (value, weak, real))| {
            format!("{i}: {value:?} (expected SC008 {weak}, SA012 {real})")
        })
        .collect();
    assert!(
        changed.is_empty(),
        "verdicts changed:\n{}",
        changed.join("\n")
    );
    // The corpus holds both verdicts of both rules, or it proves little.
    for (rule, set) in [("SC008", &sc008), ("SA012", &sa012)] {
        assert!(
            !set.is_empty() && set.len() < CORPUS.len(),
            "{rule}: {}",
            set.len()
        );
    }
}

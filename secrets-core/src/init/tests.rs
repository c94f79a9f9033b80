//! `init` on small templates: the manifest loads, and laying the template
//! out gives the values it describes.

use super::*;
use crate::manifest::ManifestFile;
use crate::stack::Stack;

fn inferred(text: &str) -> Inferred {
    infer("t.env", text.as_bytes(), &[], Some("t")).unwrap()
}

fn entry<'a>(i: &'a Inferred, name: &str) -> &'a Entry {
    i.entries.iter().find(|e| e.name == name).unwrap()
}

#[test]
fn the_manifest_loads_and_lays_out_the_template() {
    let text = "# db\nPOSTGRES_USER=umami\nPOSTGRES_PASSWORD=replace-me-with-a-random-string\n\n# A secret string (replace with a strong random string)\nAPP_SECRET=replace-me-with-a-random-string\nDATABASE_URL=postgresql://umami:replace-me-with-a-random-string@db:5432/umami\nSMTP_PASS=\n# openssl rand -hex 16\nKEY_FOR_X=\nPORT=3000 # the port\n";
    let i = inferred(text);
    let m = ManifestFile::parse("m.toml", &i.manifest)
        .unwrap_or_else(|e| panic!("{e}\n{}", i.manifest));
    let stack = Stack::from_manifest(m).unwrap();
    assert_eq!(entry(&i, "APP_SECRET").class, Class::Secret);
    assert_eq!(entry(&i, "DATABASE_URL").class, Class::Derived);
    assert_eq!(entry(&i, "SMTP_PASS").class, Class::External);
    assert_eq!(entry(&i, "PORT").class, Class::Setting);
    assert_eq!(
        entry(&i, "KEY_FOR_X").source,
        Source::Generate(crate::generate::Kind::Hex { bytes: 16 })
    );
    let laid = lay_out(
        "t.env",
        text.as_bytes(),
        &stack,
        &mut crate::generate::os_rng(),
        std::time::UNIX_EPOCH,
    )
    .unwrap();
    let out = laid.doc.render();
    let get = |n: &str| laid.doc.get(n).unwrap().expose().to_owned();
    assert_ne!(get("APP_SECRET"), get("POSTGRES_PASSWORD"));
    assert_eq!(
        get("DATABASE_URL"),
        format!(
            "postgresql://umami:{}@db:5432/umami",
            get("POSTGRES_PASSWORD")
        )
    );
    assert_eq!(get("KEY_FOR_X").len(), 32);
    assert!(
        out.starts_with("# db\nPOSTGRES_USER=umami\n"),
        "{}",
        out.as_str()
    );
    assert!(out.contains("\nSMTP_PASS=\n"));
    assert!(out.ends_with("PORT=3000 # the port\n"));
    assert_eq!(laid.unset, ["SMTP_PASS"]);
}

#[test]
fn commented_variables_are_described_not_managed() {
    let i = inferred("A=1\n# B_TOKEN=<random-strong-secret>\n");
    assert!(
        i.manifest.contains("\n# B_TOKEN = { kind = "),
        "{}",
        i.manifest
    );
    let m = ManifestFile::parse("m.toml", &i.manifest).unwrap();
    assert_eq!(m.vars.len(), 1);
    assert_eq!(i.summary().commented, 1);
}

#[test]
fn a_generic_name_takes_a_component_only_when_the_template_is_that_stack() {
    // Plane's catalog makes its AWS keys a bundled MinIO's: not Outline's.
    let i = inferred("AWS_ACCESS_KEY_ID=get_a_key\nAWS_SECRET_ACCESS_KEY=get_it\nSMTP_HOST=x\n");
    assert_eq!(entry(&i, "AWS_SECRET_ACCESS_KEY").class, Class::External);
    let plane = "PGHOST=plane-db\nPGDATABASE=plane\nPOSTGRES_USER=plane\nPOSTGRES_PASSWORD=plane\nRABBITMQ_USER=plane\nRABBITMQ_PASSWORD=plane\nSECRET_KEY=x\nLIVE_SERVER_SECRET_KEY=\nAWS_ACCESS_KEY_ID=access-key\nAWS_SECRET_ACCESS_KEY=secret-key\n";
    let i = inferred(plane);
    assert_eq!(entry(&i, "AWS_SECRET_ACCESS_KEY").class, Class::Secret);
    assert!(entry(&i, "AWS_SECRET_ACCESS_KEY")
        .why
        .contains("catalog (plane)"));
}

#[test]
fn null_means_no_password_and_is_kept() {
    let i = inferred("REDIS_HOST=redis\nREDIS_PASSWORD=null\n");
    let e = entry(&i, "REDIS_PASSWORD");
    assert_eq!(e.class, Class::Setting);
    assert!(e.uncertain.as_deref().unwrap().contains("`null`"));
    assert_eq!(e.source, Source::Literal("null".into()));
}

#[test]
fn formats_the_template_states_win_over_the_name() {
    let i = inferred(
        "# Use `openssl rand -base64 42`\nSESSION_SECRET=\n\n# must be 24 characters, use only A-Za-z0-9\nCIPHER_KEY=changeme\n\nSAMPLE_KEY=6c1fe4e407b8911c104518103505b218\n",
    );
    use crate::generate::{Alphabet, Kind};
    assert_eq!(
        entry(&i, "SESSION_SECRET").source,
        Source::Generate(Kind::Base64 {
            bytes: 42,
            urlsafe: false,
            padded: true
        })
    );
    assert!(entry(&i, "SESSION_SECRET")
        .why
        .ends_with("from \"openssl rand -base64 42\" on line 1"));
    assert_eq!(
        entry(&i, "CIPHER_KEY").source,
        Source::Generate(Kind::RawKey {
            length: 24,
            alphabet: Alphabet::Alphanumeric
        })
    );
    assert_eq!(
        entry(&i, "SAMPLE_KEY").source,
        Source::Generate(Kind::Hex { bytes: 16 })
    );
}

/// The stack's own program is found once, not once per variable: with a
/// service per variable that was services × variables of scanning.
#[test]
fn many_services_are_scanned_for_the_app_once() {
    let n = 500;
    let template: String = (0..n).map(|i| format!("V{i}_PASSWORD=\n")).collect();
    let compose: String = "services:\n".to_owned()
        + &(0..n)
            .map(|i| {
                format!("  s{i}:\n    image: nginx\n    environment:\n      V{i}_PASSWORD: ${{V{i}_PASSWORD}}\n")
            })
            .collect::<String>();
    classify::APP_SCANNED.with(|c| c.set(0));
    let i = infer(
        "t.env",
        template.as_bytes(),
        &[ComposeInput {
            name: "d.yml",
            text: &compose,
        }],
        Some("t"),
    )
    .unwrap();
    assert_eq!(entry(&i, "V7_PASSWORD").name, "V7_PASSWORD");
    let scanned = classify::APP_SCANNED.with(|c| c.get());
    assert!(scanned <= n, "{scanned} services scanned for {n} services");
}

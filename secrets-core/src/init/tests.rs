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
        0,
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

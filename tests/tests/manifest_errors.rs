//! Every kind of bad manifest input is one line naming the file, line and
//! column, exit code 2, nothing printed on stdout: bytes that are not UTF-8
//! (at the first bad byte), TOML syntax, types, unknown fields (with "did
//! you mean" when one is close), unknown kinds, names, sources, references
//! and duplicates.

use std::fs;

use secrets_tests::secrets;

/// The one-line error `secrets generate` gives for `manifest`.
fn error_for(manifest: &[u8]) -> String {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("secrets.toml"), manifest).unwrap();
    let o = secrets(d.path()).arg("generate").output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.stdout.is_empty(), "something was generated");
    let err = String::from_utf8(o.stderr).expect("the error is UTF-8");
    assert_eq!(err.lines().count(), 1, "{err}");
    err.trim_end().to_owned()
}

#[test]
fn each_kind_of_bad_manifest_names_its_line_and_column() {
    let cases: &[(&[u8], &str)] = &[
        // The first bad byte, not the start of the file.
        (
            b"[stack]\nname = \"x\"\n# caf\xe9\n[vars.A]\nkind = \"hex\"\n",
            "secrets.toml:3:6: not UTF-8",
        ),
        (
            b"[vars.A]\nkind = \"hex\"\ndescription = \"na\xc3\xafve \xff\"\n",
            "secrets.toml:3:22: not UTF-8",
        ),
        (
            b"[vars.A]\nkidn = \"hex\"\n",
            "secrets.toml:2:1: unknown field `kidn`; did you mean `kind`?",
        ),
        (
            b"[stack]\nnmae = \"x\"\n",
            "secrets.toml:2:1: unknown field `nmae`; did you mean `name`?",
        ),
        // Unlike every field: the list of them, no guess.
        (
            b"[vars.A]\nzzzzzzzzz = 1\n",
            "secrets.toml:2:1: unknown field `zzzzzzzzz`, expected one of `kind`",
        ),
        (b"[stack\n", "secrets.toml:1:7: "),
        (b"[vars.A]\nkind = 3\n", "secrets.toml:2:8: invalid type"),
        (
            b"[vars.A]\nkind = \"hexx\"\n",
            "secrets.toml:2:8: unknown kind `hexx`; did you mean `hex`?",
        ),
        (
            b"[vars.1A]\nkind = \"hex\"\n",
            "secrets.toml:1:7: `1A` is not a variable name",
        ),
        (
            b"[vars.A]\nkind = \"hex\"\nvalue = \"x\"\n",
            "secrets.toml:3:9: `A` has both `kind` and `value`",
        ),
        (
            b"[vars.A]\nsame_as = \"B\"\n",
            "secrets.toml:2:11: `A` refers to `B`, which is not defined",
        ),
        (
            b"[vars.A]\nkind=\"hex\"\n[vars.A]\nkind=\"hex\"\n",
            "secrets.toml:3:7: duplicate key `A`",
        ),
        (
            b"[vars.A]\nkind = \"password\"\nlength = 3\n",
            "secrets.toml:3:10: `length` must be",
        ),
        (
            b"[vars.A]\ndescription = \"no source\"\n",
            "secrets.toml:1:",
        ),
        (
            b"[stack]\ninclude = [\"postgress\"]\n",
            "secrets.toml:2:12: unknown component `postgress`; did you mean `postgres`?",
        ),
        (
            b"[vars.A]\nsame_as = \"B\"\n[vars.B]\nsame_as = \"A\"\n",
            "secrets.toml:4:11: derivation cycle: A -> B -> A",
        ),
        (
            b"[stack]\nname = \"x\"\n[component]\nname = \"y\"\n",
            "secrets.toml:1:1: a file has either",
        ),
        (
            b"[vars.A]\nkind = \"hex\"\nrotate_after = \"soon\"\n",
            "secrets.toml:3:16: `rotate_after`",
        ),
    ];
    for (manifest, expected) in cases {
        let err = error_for(manifest);
        let wanted = format!("secrets: error: {expected}");
        assert!(
            err.starts_with(&wanted),
            "{}\n  got: {err}\n want: {wanted}",
            String::from_utf8_lossy(manifest)
        );
    }
}

//! What a secret file is. By name: a `.env` or `.env.*` that is not a
//! template, a rotation journal, a private key or key store. By place: a
//! file in a `secrets/` directory that is not source code (a source
//! extension, a shebang, or a package marker such as `__init__.py` or
//! `Cargo.toml` beside it make it code: a Python package called `secrets`
//! is not a secret). By reference: a file a compose file names. By content:
//! a small configuration-like file that parses as a `.env` with a
//! secret-shaped key. A file found by its content alone is one the audit is
//! not sure about: it is reported, but `--fix` leaves it alone.

use std::path::Path;

/// Extensions of source code, scripts and documentation: never a secret
/// file by sitting in a `secrets/` directory.
const SOURCE_EXTENSIONS: &[&str] = &[
    "py", "pyi", "pyc", "pyx", "rs", "go", "js", "mjs", "cjs", "ts", "tsx", "jsx", "rb", "php",
    "java", "kt", "kts", "scala", "groovy", "c", "h", "cc", "cpp", "hpp", "cs", "swift", "m", "sh",
    "bash", "zsh", "fish", "ps1", "pl", "pm", "lua", "ex", "exs", "erl", "hs", "ml", "clj", "dart",
    "r", "sql", "vue", "svelte", "html", "css", "scss", "md", "rst", "adoc", "typed", "gradle",
    "mod", "sum",
];

/// Files that mark a directory as a package of source code.
const PACKAGE_MARKERS: &[&str] = &[
    "__init__.py",
    "Cargo.toml",
    "package.json",
    "go.mod",
    "pyproject.toml",
    "setup.py",
    "mod.rs",
    "lib.rs",
    "index.js",
    "index.ts",
    "composer.json",
    "Gemfile",
    "pom.xml",
    "build.gradle",
];

/// The names [`package_marker`] looks for beside a file.
pub fn package_markers() -> &'static [&'static str] {
    PACKAGE_MARKERS
}

/// Extensions of private keys and key stores (a `.pem` may hold a key;
/// `.p12`/`.pfx` bundles carry the key with the certificate).
const KEY_EXTENSIONS: &[&str] = &[
    "key", "pem", "p12", "pfx", "jks", "keystore", "p8", "ppk", "kdbx",
];

/// OpenSSH's private key names.
const SSH_KEYS: &[&str] = &[
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    "id_ecdsa_sk",
    "id_ed25519_sk",
];

/// Extensions of configuration-like files whose content is looked at
/// (besides files with no extension at all).
const CONFIG_EXTENSIONS: &[&str] = &["env", "conf", "cfg", "ini", "properties"];

/// The largest file whose content is looked at to decide whether it is a
/// `.env` with secrets: configuration is small, and a large tree of
/// extension-less files must not be read whole.
pub const SNIFF_LIMIT: u64 = 16 << 10;

fn extension(name: &str) -> Option<&str> {
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty()).then_some(ext)
}

/// Whether `name`'s extension is one of `list` (ASCII case ignored; no
/// allocation: this runs on every file of the tree).
fn extension_in(name: &str, list: &[&str]) -> bool {
    extension(name).is_some_and(|e| list.iter().any(|l| l.eq_ignore_ascii_case(e)))
}

/// `.env` and `.env.*`, and `NAME.env`, but not examples, templates and
/// samples.
pub fn is_env_name(name: &str) -> bool {
    (name == ".env" || name.starts_with(".env.") || (name.ends_with(".env") && name.len() > 4))
        && !is_template_name(name)
}

/// A rotation journal left beside a `.env` (`.NAME.rotation-journal`): it
/// holds old and new values and the whole new file.
pub fn is_journal_name(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".rotation-journal")
}

/// `.env.example`, `.env.sample`, `.env.template`, `.env.dist`, `example.env`...
pub fn is_template_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    (lower.starts_with(".env") || lower.ends_with(".env"))
        && ["example", "sample", "template", "dist", "defaults"]
            .iter()
            .any(|w| lower.contains(w))
}

/// A private key or key store by its name.
pub fn is_key_name(name: &str) -> bool {
    SSH_KEYS.contains(&name) || extension_in(name, KEY_EXTENSIONS)
}

/// A secret file by its name alone, wherever it is.
pub fn is_secret_by_name(name: &str) -> bool {
    is_env_name(name) || is_journal_name(name) || is_key_name(name)
}

/// Source code, a script or documentation by its name (its extension, or
/// a package marker itself).
pub fn is_source_name(name: &str) -> bool {
    PACKAGE_MARKERS.contains(&name) || extension_in(name, SOURCE_EXTENSIONS)
}

/// A script: its first bytes are a shebang.
pub fn is_script(head: &[u8]) -> bool {
    head.starts_with(b"#!")
}

/// A file outside any `secrets/` directory whose content is worth a look
/// (no extension, or a configuration extension), when not already known
/// by its name.
pub fn worth_sniffing(name: &str) -> bool {
    if is_template_name(name) || is_source_name(name) {
        return false;
    }
    match extension(name) {
        None => !name.starts_with('.'),
        Some(_) => extension_in(name, CONFIG_EXTENSIONS),
    }
}

/// Whether `bytes` parse as a `.env` with at least one secret-shaped key
/// holding a value.
pub fn is_env_with_secrets(bytes: &[u8]) -> bool {
    crate::envfile::Document::parse(bytes).is_ok_and(|doc| {
        doc.keys()
            .any(|k| crate::check::is_secret_name(k) && doc.get(k).is_some_and(|v| !v.is_empty()))
    })
}

/// Whether `rel` lies in a directory called `secrets`.
pub fn in_secrets_dir(rel: &Path) -> bool {
    rel.parent()
        .is_some_and(|p| p.components().any(|c| c.as_os_str() == "secrets"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for secret in [
            ".env",
            ".env.production",
            "prod.env",
            "id_ed25519",
            "tls.key",
            "ca.PEM",
            "a.p12",
        ] {
            assert!(is_secret_by_name(secret), "{secret}");
        }
        for not in [
            ".env.example",
            "example.env",
            "id_ed25519.pub",
            "store.py",
            "__init__.py",
            ".env.sample",
            "notes",
        ] {
            assert!(!is_secret_by_name(not), "{not}");
        }
        for source in [
            "__init__.py",
            "store.py",
            "Cargo.toml",
            "lib.rs",
            "README.md",
            "run.sh",
        ] {
            assert!(is_source_name(source), "{source}");
        }
        for data in ["db_password", "db_password.txt", "token.json", ".htpasswd"] {
            assert!(!is_source_name(data), "{data}");
        }
        assert!(worth_sniffing("app.conf") && worth_sniffing("credentials"));
        assert!(
            !worth_sniffing("main.py")
                && !worth_sniffing(".env.example")
                && !worth_sniffing("a.json")
        );
    }

    #[test]
    fn content() {
        assert!(is_env_with_secrets(b"DB_PASSWORD=hunter2\nHOST=db\n"));
        assert!(!is_env_with_secrets(b"HOST=db\nPORT=5432\n"));
        assert!(!is_env_with_secrets(b"DB_PASSWORD=\n"));
        assert!(!is_env_with_secrets(b"import os\nprint(os.environ)\n"));
        assert!(!is_env_with_secrets(b"all:\n\tcargo build\n"));
    }
}

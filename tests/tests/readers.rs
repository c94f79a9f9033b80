//! Independent readers agree with what `secrets` writes: python-dotenv,
//! dotenvy, `cryptography`, PyJWT, py-vapid and Django. Secrets reach Python
//! through files and stdin, never argv; mismatches are reported by name.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use secrets_tests::{
    python, repo_root, require_python, secrets, write_catalogs, CRYPTOGRAPHY, DOTENV,
};

/// Every catalog component, written by the library in one file per group
/// that composes, with the values it generated.
fn whole_catalog(dir: &Path) -> Vec<(std::path::PathBuf, BTreeMap<String, String>)> {
    write_catalogs(dir)
        .into_iter()
        .map(|(path, _, expected)| (path, expected))
        .collect()
}

const COMPARE: &str = r#"
import json, sys
from dotenv import dotenv_values
expected = json.load(sys.stdin)
got = dotenv_values(sys.argv[1])
bad = sorted(k for k in set(expected) | set(got) if expected.get(k) != got.get(k))
print(" ".join(bad))
sys.exit(1 if bad else 0)
"#;

#[test]
fn python_dotenv_reads_exactly_the_generated_values() {
    if !require_python(&[DOTENV]) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    for (path, expected) in whole_catalog(d.path()) {
        let out = python(
            COMPARE,
            &[path.to_str().unwrap()],
            serde_json::to_string(&expected).unwrap().as_bytes(),
        );
        assert!(
            out.status.success(),
            "python-dotenv disagrees in {}: {}{}",
            path.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn dotenvy_reads_exactly_the_generated_values() {
    let d = tempfile::tempdir().unwrap();
    for (path, expected) in whole_catalog(d.path()) {
        let got: BTreeMap<String, String> = dotenvy::from_path_iter(&path)
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let bad: Vec<&String> = expected
            .keys()
            .filter(|k| got.get(*k) != expected.get(*k))
            .collect();
        assert!(
            bad.is_empty(),
            "dotenvy disagrees in {}: {bad:?}",
            path.display()
        );
        assert_eq!(got.len(), expected.len());
    }
}

/// The Python check succeeded; otherwise its stderr (names, never values).
fn assert_python_ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Generates a stack with the CLI into `dir/.env`.
fn generate(dir: &Path, args: &[&str]) -> std::path::PathBuf {
    let out = secrets(dir).arg("generate").args(args).output().unwrap();
    assert_python_ok(&out);
    let path = dir.join(".env");
    fs::write(&path, &out.stdout).unwrap();
    path
}

#[test]
fn cryptography_accepts_the_fernet_key() {
    if !require_python(&[DOTENV, CRYPTOGRAPHY]) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let manifest = repo_root().join("examples/stacks/viarah.toml");
    let path = generate(d.path(), &["--manifest", manifest.to_str().unwrap()]);
    let script = r#"
import sys
from dotenv import dotenv_values
from cryptography.fernet import Fernet
key = dotenv_values(sys.argv[1])["VIA_RAH_ENCRYPTION_KEY"]
f = Fernet(key)
assert f.decrypt(f.encrypt(b"gitlab-token")) == b"gitlab-token"
print("ok")
"#;
    let out = python(script, &[path.to_str().unwrap()], b"");
    assert_python_ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
}

#[test]
fn pyjwt_verifies_the_role_keys_with_the_jwt_secret() {
    if !require_python(&[DOTENV, ("jwt", "PyJWT")]) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let path = generate(d.path(), &["--with", "supabase"]);
    let script = r#"
import sys, jwt
from dotenv import dotenv_values
env = dotenv_values(sys.argv[1])
for name, role in (("ANON_KEY", "anon"), ("SERVICE_ROLE_KEY", "service_role")):
    claims = jwt.decode(env[name], env["JWT_SECRET"], algorithms=["HS256"])
    assert claims["role"] == role, name
    assert claims["exp"] > claims["iat"], name
try:
    jwt.decode(env["ANON_KEY"], env["JWT_SECRET"] + "x", algorithms=["HS256"])
    sys.exit("a wrong secret verified")
except jwt.InvalidSignatureError:
    pass
print("ok")
"#;
    let out = python(script, &[path.to_str().unwrap()], b"");
    assert_python_ok(&out);
}

#[test]
fn cryptography_and_py_vapid_load_the_vapid_pair() {
    if !require_python(&[DOTENV, CRYPTOGRAPHY, ("py_vapid", "py-vapid")]) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let path = generate(d.path(), &["--with", "web-push"]);
    let script = r#"
import sys, base64
from dotenv import dotenv_values
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid
env = dotenv_values(sys.argv[1])
pad = lambda s: s + "=" * (-len(s) % 4)
priv = base64.urlsafe_b64decode(pad(env["VAPID_PRIVATE_KEY"]))
pub = base64.urlsafe_b64decode(pad(env["VAPID_PUBLIC_KEY"]))
assert len(priv) == 32 and len(pub) == 65 and pub[0] == 4
key = ec.derive_private_key(int.from_bytes(priv, "big"), ec.SECP256R1())
derived = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
assert derived == pub, "public key does not match the private key"
ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), pub)
v = Vapid.from_raw(env["VAPID_PRIVATE_KEY"].encode())
assert v.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint) == pub
print("ok")
"#;
    let out = python(script, &[path.to_str().unwrap()], b"");
    assert_python_ok(&out);
}

#[test]
fn django_check_deploy_accepts_the_secret_key() {
    if !require_python(&[DOTENV, ("django", "Django")]) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let path = generate(d.path(), &["--with", "django"]);
    // Run Django's own `check --deploy` and look for W009 (weak SECRET_KEY).
    let script = r#"
import io, sys
from dotenv import dotenv_values
import django
from django.conf import settings
def check(key):
    from django.core.management import call_command
    settings.SECRET_KEY = key
    out = io.StringIO()
    try:
        call_command("check", deploy=True, stdout=out, stderr=out)
    except Exception as e:
        out.write(str(e))
    return "security.W009" in out.getvalue()
settings.configure(SECRET_KEY="placeholder", DEBUG=False, ALLOWED_HOSTS=["example.com"], INSTALLED_APPS=[])
django.setup()
assert check("django-insecure-" + "a1b2c3d4e5" * 5), "the rig must see W009 for an insecure key"
assert not check(dotenv_values(sys.argv[1])["DJANGO_SECRET_KEY"]), "W009 raised for the generated key"
print("ok")
"#;
    let out = python(script, &[path.to_str().unwrap()], b"");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

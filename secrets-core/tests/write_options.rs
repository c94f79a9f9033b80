//! Options are builders, and a refusal names the option that would allow
//! what was refused, never a command-line flag.

#![cfg(feature = "rotate")]

use std::os::unix::fs::{DirBuilderExt, MetadataExt};

use secrets_core::generate::os_rng;
use secrets_core::rotate::{rotate_env, RotateRequest, Selection};
use secrets_core::secure_file::{SecureFile, WriteOptions};

/// A uid no account has: a service user's file.
const SERVICE_UID: u32 = 4242;

/// The `rotate_env` example on a `.env` a service user owns: with default
/// options the refusal says which option writes it for that user; with the
/// options that keep the file's owner, the rotation goes through.
#[test]
fn a_service_user_s_file_names_the_owner_option() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "giving a file to a service user needs root, as the tests run"
    );
    let d = tempfile::tempdir().expect("tempdir");
    let dir = d.path().join("app");
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .expect("mkdir");
    let env = dir.join(".env");
    let open = |options: WriteOptions| SecureFile::open(&env, options);
    open(WriteOptions::default())
        .and_then(|f| {
            f.lock()?
                .replace(b"API_TOKEN=Zq8xT2mV9pL4rB7nK1wY6sD3fH0jG5cA\n")
        })
        .expect("write");
    std::os::unix::fs::chown(&env, Some(SERVICE_UID), Some(SERVICE_UID)).expect("chown");
    let request = || {
        let selection = Selection {
            keys: vec!["API_TOKEN".into()],
            ..Default::default()
        };
        RotateRequest::new(None, selection)
    };

    let e = open(WriteOptions::default())
        .map_err(|e| Box::new(e) as Box<dyn std::error::Error>)
        .and_then(|f| Ok(rotate_env(f, request(), &mut os_rng())?))
        .expect_err("a service user's file with default options");
    let line = secrets_core::one_line(&*e);
    assert!(line.contains("WriteOptions::owner"), "{line}");
    assert!(line.contains(&SERVICE_UID.to_string()), "{line}");
    assert!(
        !line.contains("--"),
        "a CLI flag in a library error: {line}"
    );

    let options = WriteOptions::preserving(&env).expect("preserving");
    assert_eq!(options.owner().and_then(|o| o.uid), Some(SERVICE_UID));
    let report =
        rotate_env(open(options).expect("open"), request(), &mut os_rng()).expect("rotate");
    assert_eq!(report.keys[0].name, "API_TOKEN");
    let meta = std::fs::metadata(&env).expect("stat");
    assert_eq!((meta.uid(), meta.mode() & 0o777), (SERVICE_UID, 0o600));
}

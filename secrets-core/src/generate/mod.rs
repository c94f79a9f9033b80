//! Generation: every kind of secret the supported stacks consume, each in
//! exactly the shape its consumer accepts (see `docs` in the catalog).

pub mod alphabet;
pub mod jwt;
mod os_rng;
pub mod vapid;

pub use os_rng::OsRng;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use rand::{CryptoRng, Rng};
use serde_json::{Map, Value};

use crate::SecretValue;

/// The generator `secrets` uses: the kernel's CSPRNG, see [`OsRng`].
pub fn os_rng() -> OsRng {
    OsRng::new()
}

/// Character set of a generated password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Alphabet {
    /// `A-Za-z0-9` (the default): safe in every reader, URL and list.
    Alphanumeric,
    /// `A-Za-z0-9_.-`: the alphabet every `.env` reader agrees on.
    EnvSafe,
    /// `a-z0-9`.
    LowerAlphanumeric,
    /// `0-9a-f`.
    Hex,
}

impl Alphabet {
    /// The characters, in a fixed order.
    pub fn chars(self) -> &'static [u8] {
        match self {
            Alphabet::Alphanumeric => alphabet::ALPHANUMERIC,
            Alphabet::EnvSafe => alphabet::ENV_SAFE,
            Alphabet::LowerAlphanumeric => alphabet::LOWER_ALPHANUMERIC,
            Alphabet::Hex => alphabet::HEX,
        }
    }

    /// The name used in manifests.
    pub fn name(self) -> &'static str {
        match self {
            Alphabet::Alphanumeric => "alphanumeric",
            Alphabet::EnvSafe => "env-safe",
            Alphabet::LowerAlphanumeric => "lower-alphanumeric",
            Alphabet::Hex => "hex",
        }
    }

    /// Every alphabet, in the order manifests' error messages list them.
    pub const ALL: [Alphabet; 4] = [
        Alphabet::Alphanumeric,
        Alphabet::EnvSafe,
        Alphabet::LowerAlphanumeric,
        Alphabet::Hex,
    ];

    /// Parses a manifest name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Whether every character of `value` is in the alphabet.
    pub fn contains_all(self, value: &str) -> bool {
        value.bytes().all(|b| self.chars().contains(&b))
    }
}

/// HMAC algorithm a JWT secret is sized for (RFC 7518 §3.2: a key at least as
/// long as the hash).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtAlg {
    /// 32 bytes.
    Hs256,
    /// 48 bytes.
    Hs384,
    /// 64 bytes.
    Hs512,
}

impl JwtAlg {
    /// Key size in bytes.
    pub fn key_bytes(self) -> usize {
        match self {
            JwtAlg::Hs256 => 32,
            JwtAlg::Hs384 => 48,
            JwtAlg::Hs512 => 64,
        }
    }

    /// Parses `HS256`, `HS384` or `HS512` (any case).
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "HS256" => Some(JwtAlg::Hs256),
            "HS384" => Some(JwtAlg::Hs384),
            "HS512" => Some(JwtAlg::Hs512),
            _ => None,
        }
    }
}

/// A kind of secret generated from randomness alone.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
///
/// ```
/// use secrets_core::generate::{os_rng, Alphabet, Kind};
///
/// let kind = Kind::Password { length: 32, alphabet: Alphabet::Alphanumeric };
/// let value = kind.generate(&mut os_rng());
/// assert_eq!(value.len(), 32);
/// assert!(value.expose().chars().all(|c| c.is_ascii_alphanumeric()));
/// assert_eq!(Kind::Hex { bytes: 16 }.generate(&mut os_rng()).len(), 32);
/// ```
pub enum Kind {
    /// `length` characters of `alphabet`.
    Password {
        /// Number of characters.
        length: usize,
        /// Character set.
        alphabet: Alphabet,
    },
    /// `bytes` random bytes as lowercase hex.
    Hex {
        /// Number of random bytes (twice as many digits).
        bytes: usize,
    },
    /// `bytes` random bytes in base64.
    Base64 {
        /// Number of random bytes.
        bytes: usize,
        /// `-_` instead of `+/`.
        urlsafe: bool,
        /// With `=` padding.
        padded: bool,
    },
    /// `bytes` random bytes, base64url without padding: admin secrets, API keys.
    Token {
        /// Number of random bytes.
        bytes: usize,
    },
    /// An HMAC JWT signing secret sized for its algorithm, base64url unpadded.
    JwtSecret {
        /// The algorithm it will sign with.
        alg: JwtAlg,
    },
    /// A lowercase letter followed by lowercase letters and digits.
    Username {
        /// Number of characters.
        length: usize,
    },
    /// An RFC 9562 version 4 UUID.
    Uuid,
    /// A Fernet key: 32 bytes, urlsafe base64 with padding (44 chars).
    Fernet,
    /// A Django `SECRET_KEY` that passes `check --deploy` (W009).
    DjangoSecretKey {
        /// Number of characters, at least 50.
        length: usize,
    },
    /// A VAPID (Web Push) P-256 private key.
    VapidPrivateKey,
    /// An imgproxy signing key: 32 bytes hex.
    ImgproxyKey,
    /// An imgproxy salt: 16 bytes hex.
    ImgproxySalt,
    /// Exactly `length` characters of `alphabet`, which the consumer takes
    /// as the raw bytes of a cipher key (Supabase's `VAULT_ENC_KEY`,
    /// Hoppscotch's `DATA_ENCRYPTION_KEY`: AES-256, 32 bytes).
    RawKey {
        /// Exact number of characters (= bytes: every alphabet is ASCII).
        length: usize,
        /// Character set.
        alphabet: Alphabet,
    },
    /// A Laravel `APP_KEY`: `base64:` and 32 random bytes in standard base64,
    /// as `php artisan key:generate` writes for AES-256-CBC.
    LaravelKey,
}

/// A value computed from another variable's value.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Derivation {
    /// The VAPID public key of a private key.
    VapidPublicKey,
    /// An HS256 JWT signed with a JWT secret.
    SignedJwt {
        /// Claims besides `iat` and `exp`.
        claims: Map<String, Value>,
        /// The token's lifetime (`exp - iat`); `None` for a token without `exp`.
        expires_in: Option<std::time::Duration>,
    },
}

/// Why a derived value could not be computed. Never holds a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeriveError {
    /// A VAPID public key could not be derived.
    #[error(transparent)]
    Vapid(#[from] vapid::VapidError),
}

/// What Laravel's `APP_KEY` holds for its default cipher, AES-256-CBC.
pub const LARAVEL_KEY_BYTES: usize = 32;
/// Prefix of a base64 Laravel key (`Encrypter::parseKey` strips it).
pub const LARAVEL_BASE64_PREFIX: &str = "base64:";

/// Whether `key` is a key Laravel accepts for AES-256-CBC: `base64:` and
/// standard base64 of 32 bytes, or 32 raw characters (Pterodactyl's Docker
/// entrypoint writes those).
pub fn laravel_key_is_valid(key: &str) -> bool {
    match key.strip_prefix(LARAVEL_BASE64_PREFIX) {
        Some(b64) => STANDARD
            .decode(b64)
            .is_ok_and(|k| k.len() == LARAVEL_KEY_BYTES),
        None => key.len() == LARAVEL_KEY_BYTES,
    }
}

/// Minimum length Django's deploy check W009 accepts.
pub const DJANGO_MIN_LENGTH: usize = 50;
/// Minimum number of distinct characters W009 accepts.
pub const DJANGO_MIN_UNIQUE: usize = 5;
/// Prefix of keys made by `startproject`, which W009 refuses.
pub const DJANGO_INSECURE_PREFIX: &str = "django-insecure-";

/// Whether a Django secret key passes W009's rules.
pub fn django_key_passes_w009(key: &str) -> bool {
    let mut distinct: Vec<char> = key.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    key.chars().count() >= DJANGO_MIN_LENGTH
        && distinct.len() >= DJANGO_MIN_UNIQUE
        && !key.starts_with(DJANGO_INSECURE_PREFIX)
}

impl Kind {
    /// The name used in manifests and by `secrets catalog`.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Password { .. } => "password",
            Kind::Hex { .. } => "hex",
            Kind::Base64 { .. } => "base64",
            Kind::Token { .. } => "token",
            Kind::JwtSecret { .. } => "jwt-secret",
            Kind::Username { .. } => "username",
            Kind::Uuid => "uuid",
            Kind::Fernet => "fernet",
            Kind::DjangoSecretKey { .. } => "django-secret-key",
            Kind::VapidPrivateKey => "vapid-private-key",
            Kind::ImgproxyKey => "imgproxy-key",
            Kind::ImgproxySalt => "imgproxy-salt",
            Kind::RawKey { .. } => "raw-key",
            Kind::LaravelKey => "laravel-key",
        }
    }

    /// A fresh value of this kind from `rng`.
    pub fn generate<R: Rng + CryptoRng + ?Sized>(&self, rng: &mut R) -> SecretValue {
        let text = match *self {
            Kind::Password { length, alphabet } => loop {
                // Some consumers refuse digits alone (Supabase Studio's
                // DASHBOARD_PASSWORD); a letter-free draw is negligibly
                // likely, and the loop makes its absence certain.
                let p = alphabet::sample(rng, alphabet.chars(), length);
                let has = |f: fn(&u8) -> bool| p.expose().bytes().any(|b| f(&b));
                // An env-safe password is asked for where a consumer
                // demands a symbol (installers' password rules): it holds
                // one, and a digit, whenever it is long enough to.
                let symbols = alphabet != Alphabet::EnvSafe
                    || length < 3
                    || (has(|b| !b.is_ascii_alphanumeric()) && has(u8::is_ascii_digit));
                if length == 0 || (has(u8::is_ascii_alphabetic) && symbols) {
                    return p;
                }
            },
            Kind::RawKey { length, alphabet } => {
                return alphabet::sample(rng, alphabet.chars(), length)
            }
            Kind::Hex { bytes } => hex::encode(alphabet::bytes(rng, bytes)),
            Kind::Base64 {
                bytes,
                urlsafe,
                padded,
            } => {
                let engine = match (urlsafe, padded) {
                    (false, true) => &STANDARD,
                    (false, false) => &STANDARD_NO_PAD,
                    (true, true) => &URL_SAFE,
                    (true, false) => &URL_SAFE_NO_PAD,
                };
                engine.encode(alphabet::bytes(rng, bytes))
            }
            Kind::Token { bytes } => URL_SAFE_NO_PAD.encode(alphabet::bytes(rng, bytes)),
            Kind::JwtSecret { alg } => {
                URL_SAFE_NO_PAD.encode(alphabet::bytes(rng, alg.key_bytes()))
            }
            Kind::Username { length } => {
                let first = alphabet::sample(rng, alphabet::LOWER_LETTERS, 1);
                let rest =
                    alphabet::sample(rng, alphabet::LOWER_ALPHANUMERIC, length.saturating_sub(1));
                return SecretValue::from(crate::secret::joined(&[first.expose(), rest.expose()]));
            }
            Kind::Uuid => {
                let mut b = [0u8; 16];
                rng.fill_bytes(&mut b);
                uuid::Builder::from_random_bytes(b)
                    .into_uuid()
                    .hyphenated()
                    .to_string()
            }
            Kind::Fernet => URL_SAFE.encode(alphabet::bytes(rng, 32)),
            Kind::DjangoSecretKey { length } => loop {
                // A uniform draw of 50+ characters fails W009 (fewer than 5
                // distinct characters) with negligible probability; the loop
                // makes the guarantee exact rather than probable.
                let key = alphabet::sample(rng, alphabet::ENV_SAFE, length.max(DJANGO_MIN_LENGTH));
                if django_key_passes_w009(key.expose()) {
                    return key;
                }
            },
            Kind::VapidPrivateKey => return vapid::private_key(rng),
            Kind::ImgproxyKey => hex::encode(alphabet::bytes(rng, 32)),
            Kind::ImgproxySalt => hex::encode(alphabet::bytes(rng, 16)),
            Kind::LaravelKey => format!(
                "{LARAVEL_BASE64_PREFIX}{}",
                STANDARD.encode(alphabet::bytes(rng, LARAVEL_KEY_BYTES))
            ),
        };
        SecretValue::new(text)
    }
}

/// The name used in manifests (`password`), as `secrets catalog` shows it.
impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The name used in manifests (`env-safe`).
impl std::fmt::Display for Alphabet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The name used in manifests (`jwt`).
impl std::fmt::Display for Derivation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Derivation {
    /// The name used in manifests.
    pub fn name(&self) -> &'static str {
        match self {
            Derivation::VapidPublicKey => "vapid-public-key",
            Derivation::SignedJwt { .. } => "jwt",
        }
    }

    /// Computes the value from its input; `now` is a signed token's `iat`.
    pub fn derive(
        &self,
        input: &SecretValue,
        now: std::time::SystemTime,
    ) -> Result<SecretValue, DeriveError> {
        match self {
            Derivation::VapidPublicKey => Ok(SecretValue::new(vapid::public_key(input.expose())?)),
            Derivation::SignedJwt { claims, expires_in } => Ok(SecretValue::new(jwt::sign_hs256(
                input.expose().as_bytes(),
                claims,
                now,
                *expires_in,
            ))),
        }
    }
}

/// What `secrets catalog` says about a kind.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct KindInfo {
    /// Manifest name.
    pub name: &'static str,
    /// Parameters it takes, with defaults.
    pub params: &'static str,
    /// Whether it is computed from another variable (`from = "..."`).
    pub derived: bool,
    /// One line on what it is.
    pub summary: &'static str,
}

/// Every kind a manifest may name.
pub const KINDS: &[KindInfo] = &[
    KindInfo {
        name: "password",
        params: "length = 32, alphabet = \"alphanumeric\" | \"env-safe\" | \"lower-alphanumeric\" | \"hex\"",
        derived: false,
        summary: "random characters, at least one of them a letter; check wants at least `length`",
    },
    KindInfo {
        name: "hex",
        params: "bytes = 32",
        derived: false,
        summary: "random bytes as lowercase hex",
    },
    KindInfo {
        name: "base64",
        params: "bytes = 32, urlsafe = false, padded = true",
        derived: false,
        summary: "random bytes in base64",
    },
    KindInfo {
        name: "token",
        params: "bytes = 32",
        derived: false,
        summary: "random bytes, base64url unpadded: admin secrets and API keys",
    },
    KindInfo {
        name: "jwt-secret",
        params: "alg = \"HS256\" | \"HS384\" | \"HS512\"",
        derived: false,
        summary: "HMAC JWT secret of 32/48/64 bytes, base64url unpadded",
    },
    KindInfo {
        name: "username",
        params: "length = 12",
        derived: false,
        summary: "a lowercase letter then lowercase letters and digits",
    },
    KindInfo {
        name: "uuid",
        params: "",
        derived: false,
        summary: "RFC 9562 version 4 UUID",
    },
    KindInfo {
        name: "fernet",
        params: "",
        derived: false,
        summary: "Fernet key: 32 bytes, urlsafe base64 with padding (44 chars)",
    },
    KindInfo {
        name: "django-secret-key",
        params: "length = 64",
        derived: false,
        summary: "Django SECRET_KEY from the env-safe alphabet; passes W009",
    },
    KindInfo {
        name: "vapid-private-key",
        params: "",
        derived: false,
        summary: "Web Push VAPID P-256 private key (43 chars)",
    },
    KindInfo {
        name: "imgproxy-key",
        params: "",
        derived: false,
        summary: "imgproxy signing key: 32 bytes hex",
    },
    KindInfo {
        name: "imgproxy-salt",
        params: "",
        derived: false,
        summary: "imgproxy signing salt: 16 bytes hex",
    },
    KindInfo {
        name: "raw-key",
        params: "length = 32, alphabet = \"alphanumeric\" | \"env-safe\" | \"lower-alphanumeric\" | \"hex\"",
        derived: false,
        summary: "exactly `length` characters of `alphabet`, used as raw cipher key bytes",
    },
    KindInfo {
        name: "laravel-key",
        params: "",
        derived: false,
        summary: "Laravel APP_KEY: `base64:` and 32 bytes in standard base64 (51 chars)",
    },
    KindInfo {
        name: "vapid-public-key",
        params: "from = VAPID private key",
        derived: true,
        summary: "the VAPID public key of `from` (87 chars)",
    },
    KindInfo {
        name: "jwt",
        params: "from = JWT secret, claims = {..}, expires_in = \"10y\"",
        derived: true,
        summary: "an HS256 JWT signed with `from` (Supabase anon/service_role keys)",
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn rng() -> StdRng {
        StdRng::from_os_rng()
    }

    fn all_in(s: &str, set: &[u8]) -> bool {
        s.bytes().all(|b| set.contains(&b))
    }

    #[test]
    fn every_kind_is_listed_once() {
        let generated = [
            Kind::Password {
                length: 1,
                alphabet: Alphabet::Alphanumeric,
            },
            Kind::Hex { bytes: 1 },
            Kind::Base64 {
                bytes: 1,
                urlsafe: false,
                padded: true,
            },
            Kind::Token { bytes: 1 },
            Kind::JwtSecret { alg: JwtAlg::Hs256 },
            Kind::Username { length: 3 },
            Kind::Uuid,
            Kind::Fernet,
            Kind::DjangoSecretKey { length: 50 },
            Kind::VapidPrivateKey,
            Kind::ImgproxyKey,
            Kind::ImgproxySalt,
            Kind::RawKey {
                length: 1,
                alphabet: Alphabet::Hex,
            },
            Kind::LaravelKey,
        ];
        let mut names: Vec<&str> = generated.iter().map(Kind::name).collect();
        names.push(Derivation::VapidPublicKey.name());
        names.push(
            Derivation::SignedJwt {
                claims: Map::new(),
                expires_in: None,
            }
            .name(),
        );
        let listed: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
        assert_eq!(names, listed);
    }

    #[test]
    fn password_has_its_length_and_alphabet() {
        for alphabet in [
            Alphabet::Alphanumeric,
            Alphabet::EnvSafe,
            Alphabet::LowerAlphanumeric,
        ] {
            let v = Kind::Password {
                length: 40,
                alphabet,
            }
            .generate(&mut rng());
            assert_eq!(v.len(), 40);
            assert!(all_in(v.expose(), alphabet.chars()));
        }
    }

    #[test]
    fn password_always_holds_a_letter() {
        // One character of hex is a digit 10 times in 16: without the
        // guarantee, some of 200 draws would be digits.
        let k = Kind::Password {
            length: 1,
            alphabet: Alphabet::Hex,
        };
        let mut r = rng();
        for _ in 0..200 {
            let v = k.generate(&mut r);
            assert!(all_in(v.expose(), b"abcdef"), "{}", v.expose());
        }
    }

    #[test]
    fn env_safe_password_always_holds_a_symbol_and_a_digit() {
        // Four characters of env-safe lack a symbol 83 times in 100:
        // without the guarantee, most of 200 draws would.
        let k = Kind::Password {
            length: 4,
            alphabet: Alphabet::EnvSafe,
        };
        let mut r = rng();
        for _ in 0..200 {
            let v = k.generate(&mut r);
            let b = v.expose().as_bytes();
            assert!(b.iter().any(|c| b"_.-".contains(c)), "{}", v.expose());
            assert!(b.iter().any(u8::is_ascii_digit), "{}", v.expose());
            assert!(b.iter().any(u8::is_ascii_alphabetic), "{}", v.expose());
        }
    }

    #[test]
    fn raw_key_is_exactly_its_length_of_its_alphabet() {
        for alphabet in Alphabet::ALL {
            for length in [16, 32] {
                let v = Kind::RawKey { length, alphabet }.generate(&mut rng());
                assert_eq!(v.expose().len(), length);
                assert!(alphabet.contains_all(v.expose()));
            }
        }
        assert!(Alphabet::Hex.contains_all("0123456789abcdef"));
        assert!(!Alphabet::Hex.contains_all("0123456789ABCDEF"));
    }

    #[test]
    fn laravel_key_is_base64_of_32_bytes() {
        let v = Kind::LaravelKey.generate(&mut rng());
        assert_eq!(v.len(), 51);
        let b64 = v.expose().strip_prefix("base64:").unwrap();
        assert_eq!(STANDARD.decode(b64).unwrap().len(), 32);
        assert!(laravel_key_is_valid(v.expose()));
        // The raw form Pterodactyl's entrypoint writes: 32 characters.
        assert!(laravel_key_is_valid(&"a".repeat(32)));
        for bad in [
            "a".repeat(31),
            format!("base64:{}", STANDARD.encode([0u8; 16])),
            "base64:not base64".to_owned(),
            String::new(),
        ] {
            assert!(!laravel_key_is_valid(&bad), "{bad}");
        }
    }

    #[test]
    fn hex_is_lowercase_and_sized() {
        let v = Kind::Hex { bytes: 20 }.generate(&mut rng());
        assert_eq!(v.len(), 40);
        assert!(all_in(v.expose(), b"0123456789abcdef"));
        assert_eq!(Kind::ImgproxyKey.generate(&mut rng()).len(), 64);
        assert_eq!(Kind::ImgproxySalt.generate(&mut rng()).len(), 32);
        assert_eq!(
            hex::decode(Kind::ImgproxyKey.generate(&mut rng()).expose())
                .unwrap()
                .len(),
            32
        );
    }

    #[test]
    fn base64_variants_decode_to_n_bytes() {
        for (urlsafe, padded, engine) in [
            (false, true, &STANDARD),
            (false, false, &STANDARD_NO_PAD),
            (true, true, &URL_SAFE),
            (true, false, &URL_SAFE_NO_PAD),
        ] {
            let v = Kind::Base64 {
                bytes: 31,
                urlsafe,
                padded,
            }
            .generate(&mut rng());
            assert_eq!(engine.decode(v.expose()).unwrap().len(), 31);
            assert_eq!(v.expose().ends_with('='), padded);
        }
        let t = Kind::Token { bytes: 32 }.generate(&mut rng());
        assert_eq!(t.len(), 43);
        assert!(all_in(t.expose(), alphabet::ENV_SAFE));
    }

    #[test]
    fn jwt_secrets_have_their_algorithm_sizes() {
        for (alg, chars) in [
            (JwtAlg::Hs256, 43),
            (JwtAlg::Hs384, 64),
            (JwtAlg::Hs512, 86),
        ] {
            let v = Kind::JwtSecret { alg }.generate(&mut rng());
            assert_eq!(v.len(), chars);
            assert_eq!(
                URL_SAFE_NO_PAD.decode(v.expose()).unwrap().len(),
                alg.key_bytes()
            );
        }
    }

    #[test]
    fn username_starts_with_a_letter() {
        for _ in 0..200 {
            let v = Kind::Username { length: 12 }.generate(&mut rng());
            assert_eq!(v.len(), 12);
            assert!(v.expose().as_bytes()[0].is_ascii_lowercase());
            assert!(all_in(v.expose(), alphabet::LOWER_ALPHANUMERIC));
        }
    }

    #[test]
    fn uuid_is_version_4() {
        let v = Kind::Uuid.generate(&mut rng());
        let u = uuid::Uuid::parse_str(v.expose()).unwrap();
        assert_eq!(u.get_version_num(), 4);
        assert_eq!(u.get_variant(), uuid::Variant::RFC4122);
    }

    #[test]
    fn fernet_is_44_padded_urlsafe_chars_of_32_bytes() {
        let v = Kind::Fernet.generate(&mut rng());
        assert_eq!(v.len(), 44);
        assert!(v.expose().ends_with('=') && !v.expose().ends_with("=="));
        assert_eq!(URL_SAFE.decode(v.expose()).unwrap().len(), 32);
    }

    #[test]
    fn django_key_meets_w009_rules() {
        let v = Kind::DjangoSecretKey { length: 10 }.generate(&mut rng());
        assert_eq!(
            v.len(),
            DJANGO_MIN_LENGTH,
            "shorter lengths are raised to W009's minimum"
        );
        assert!(django_key_passes_w009(v.expose()));
        assert!(all_in(v.expose(), alphabet::ENV_SAFE));
        assert!(!django_key_passes_w009(&"a".repeat(60)));
        assert!(!django_key_passes_w009(&format!(
            "django-insecure-{}",
            "abcdefgh".repeat(6)
        )));
    }

    #[cfg(feature = "vapid")]
    #[test]
    fn vapid_pair_matches() {
        let private = Kind::VapidPrivateKey.generate(&mut rng());
        assert_eq!(private.len(), 43);
        let public = Derivation::VapidPublicKey
            .derive(&private, std::time::UNIX_EPOCH)
            .unwrap();
        assert_eq!(public.len(), 87);
        assert!(public.expose().starts_with('B'));
        let point = URL_SAFE_NO_PAD.decode(public.expose()).unwrap();
        assert_eq!((point.len(), point[0]), (65, 4));
        // Verify the derivation independently: d*G computed by p256 directly.
        let d = p256::SecretKey::from_slice(&URL_SAFE_NO_PAD.decode(private.expose()).unwrap())
            .unwrap();
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        assert_eq!(point, d.public_key().to_encoded_point(false).as_bytes());
    }

    #[test]
    fn signed_jwt_verifies_with_its_secret() {
        let secret = Kind::JwtSecret { alg: JwtAlg::Hs256 }.generate(&mut rng());
        let mut claims = Map::new();
        claims.insert("role".into(), "service_role".into());
        let d = Derivation::SignedJwt {
            claims,
            expires_in: Some(std::time::Duration::from_secs(3600)),
        };
        let token = d.derive(&secret, crate::at(1_700_000_000)).unwrap();
        let back = jwt::verify_hs256(
            token.expose(),
            secret.expose().as_bytes(),
            crate::at(1_700_000_001),
        )
        .unwrap();
        assert_eq!(back["role"], "service_role");
        assert_eq!(back["exp"], 1_700_003_600u64);
    }

    #[test]
    fn generated_values_differ() {
        let mut r = rng();
        let k = Kind::Token { bytes: 32 };
        assert_ne!(k.generate(&mut r).expose(), k.generate(&mut r).expose());
    }
}

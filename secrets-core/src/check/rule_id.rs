//! The stable ids of the check (`SC...`) and audit (`SA...`) rules.

use std::fmt;
use std::str::FromStr;

/// Declares the enum, its codes and the list of every id from one table,
/// so a code is written once.
macro_rules! rule_ids {
    ($($(#[$doc:meta])* $variant:ident = $code:literal,)*) => {
        /// A rule's stable id. Its [`Display`](fmt::Display) and its JSON
        /// form are the code (`"SC004"`), which never changes meaning.
        ///
        /// Variants are declared in code order, so `Ord` sorts as the codes
        /// do (`SA...` before `SC...`).
        ///
        /// ```
        /// use secrets_core::check::RuleId;
        ///
        /// assert_eq!(RuleId::Placeholder.to_string(), "SC004");
        /// assert_eq!("SC004".parse::<RuleId>(), Ok(RuleId::Placeholder));
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum RuleId {
            $($(#[$doc])* $variant,)*
        }

        impl RuleId {
            /// Every id, in code order.
            pub const ALL: &'static [RuleId] = &[$(RuleId::$variant,)*];

            /// The stable code, e.g. `"SA001"`.
            pub fn code(&self) -> &'static str {
                match self {
                    $(RuleId::$variant => $code,)*
                }
            }
        }
    };
}

rule_ids! {
    /// SA001: a secret file others can read or write.
    FilePermissions = "SA001",
    /// SA002: a secret file not owned by the expected user.
    FileOwner = "SA002",
    /// SA003: a secret file's directory others can write to or list.
    DirectoryPermissions = "SA003",
    /// SA004: a secret file in a git work tree, not ignored.
    GitNotIgnored = "SA004",
    /// SA005: a secret file tracked by git.
    GitTracked = "SA005",
    /// SA006: a secret file in the git history.
    GitHistory = "SA006",
    /// SA007: a secret file inside a Docker build context.
    DockerContext = "SA007",
    /// SA008: a Dockerfile copies a secret file into the image.
    DockerfileCopiesSecret = "SA008",
    /// SA009: a secret value in a Dockerfile.
    DockerfileSecretValue = "SA009",
    /// SA010: a literal secret in a compose file.
    ComposeLiteralSecret = "SA010",
    /// SA011: a database port published on every interface.
    ComposePublicDatabasePort = "SA011",
    /// SA012: a real secret in a template.
    TemplateRealSecret = "SA012",
    /// SA013: a file the audit could not read.
    UnreadableFile = "SA013",
    /// SA014: git could not be asked.
    GitUnavailable = "SA014",
    /// SA015: a reference to a secret file outside the tree.
    OutsideReference = "SA015",
    /// SA016: the rotation journal.
    RotationJournal = "SA016",
    /// SA017: a plaintext file beside its encrypted form.
    PlaintextBesideEncrypted = "SA017",
    /// SA018: a manifest given to `audit` describes no `.env` found.
    ManifestUnmatched = "SA018",
    /// SA019: a secret-named path that is a symbolic link.
    SecretSymlink = "SA019",
    /// SA020: the audit reached its memory cap and left files unchecked.
    TreeTooLarge = "SA020",
    /// SA021: a file the audit read under another name (a hard link).
    SameFile = "SA021",
    /// SA022: manifests were given to `audit`, and none describes a `.env`
    /// found: no value was checked.
    NoEnvChecked = "SA022",
    /// SC001: a manifest variable missing from the `.env`.
    MissingVariable = "SC001",
    /// SC002: a secret set to an empty value.
    EmptyValue = "SC002",
    /// SC003: an external secret left unset.
    ExternalUnset = "SC003",
    /// SC004: a placeholder value.
    Placeholder = "SC004",
    /// SC005: a published default value.
    PublishedDefault = "SC005",
    /// SC006: the template's example value.
    ExampleValue = "SC006",
    /// SC007: a value in the wrong format for its kind.
    WrongFormat = "SC007",
    /// SC008: a guessable value.
    LowEntropy = "SC008",
    /// SC009: one value used for several secrets.
    ReusedValue = "SC009",
    /// SC010: a derived value out of date with its inputs.
    StaleDerived = "SC010",
    /// SC011: readers that disagree on a line.
    ReaderDisagreement = "SC011",
    /// SC012: a rotation overdue.
    RotationOverdue = "SC012",
    /// SC013: a key assigned twice.
    DuplicateKey = "SC013",
    /// SC014: a key without `=`.
    KeyWithoutValue = "SC014",
    /// SC015: a template key missing from the `.env`.
    TemplateKeyMissing = "SC015",
    /// SC016: a key the template does not have.
    TemplateKeyExtra = "SC016",
    /// SC017: a dotenvx-encrypted value.
    DotenvxEncrypted = "SC017",
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A code that names no rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rule id {0:?}")]
pub struct UnknownRuleId(pub String);

impl FromStr for RuleId {
    type Err = UnknownRuleId;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        RuleId::ALL
            .iter()
            .copied()
            .find(|id| id.code() == code)
            .ok_or_else(|| UnknownRuleId(code.to_owned()))
    }
}

impl serde::Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

/// From its code, as [`FromStr`] reads it: a tool reading back a JSON
/// report gets the ids it wrote, and an unknown code is an error.
impl<'de> serde::Deserialize<'de> for RuleId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        code.parse().map_err(serde::de::Error::custom)
    }
}

impl PartialEq<&str> for RuleId {
    fn eq(&self, code: &&str) -> bool {
        self.code() == *code
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_code(code: &str) -> bool {
        let b = code.as_bytes();
        b.len() == 5
            && b[0] == b'S'
            && (b[1] == b'A' || b[1] == b'C')
            && b[2..].iter().all(u8::is_ascii_digit)
    }

    #[test]
    fn codes_are_unique_well_formed_and_round_trip() {
        let mut codes: Vec<&str> = RuleId::ALL.iter().map(RuleId::code).collect();
        for (id, code) in RuleId::ALL.iter().zip(&codes) {
            assert!(is_code(code), "{code} does not match ^S[AC][0-9]{{3}}$");
            assert_eq!(code.parse::<RuleId>(), Ok(*id));
            assert_eq!(id.to_string(), *code);
            assert_eq!(serde_json::to_value(id).unwrap(), serde_json::json!(code));
            assert_eq!(
                serde_json::from_value::<RuleId>(serde_json::json!(code)).unwrap(),
                *id
            );
        }
        let n = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), n, "duplicate codes");
        assert!("SC999".parse::<RuleId>().is_err());
        assert!("sc001".parse::<RuleId>().is_err());
        let e = serde_json::from_str::<RuleId>("\"SC999\"").unwrap_err();
        assert!(e.to_string().contains("unknown rule id \"SC999\""), "{e}");
        assert!(serde_json::from_str::<RuleId>("4").is_err());
    }

    #[test]
    fn order_is_code_order() {
        // Reports sort findings by id; the order must stay the codes'.
        for pair in RuleId::ALL.windows(2) {
            assert!(pair[0] < pair[1] && pair[0].code() < pair[1].code());
        }
    }

    #[test]
    fn every_id_has_exactly_one_rule_and_every_rule_an_id() {
        let rules = crate::report::all_rules();
        for id in RuleId::ALL {
            let n = rules.iter().filter(|r| r.id == *id).count();
            let expected = usize::from(cfg!(feature = "audit") || id.code().starts_with("SC"));
            assert_eq!(n, expected, "{id}: {n} rules");
        }
        for rule in &rules {
            assert!(RuleId::ALL.contains(&rule.id), "{} has no id", rule.name);
        }
    }
}

//! What a value protects, and so what rotating it takes: its rotation class.
//!
//! A class comes, first match wins, from the manifest's `rotation = "..."`,
//! from a `postgres_role` or `redis_user` (a database role's or ACL user's
//! password is `stored`), from the
//! catalog component that defines the variable, and otherwise from the
//! default: `restart`, marked as assumed. An assumed class is enough to
//! rotate a value the operator names (what `rotate` always did), but never
//! for `--all` or `--due`: a bulk rotation of a value nobody classified
//! could lock a server out or lose data, so it is skipped and listed
//! (fail closed).

use std::fmt;

use crate::manifest::{Origin, VarDef};

/// What a value protects, and so what rotating it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum RotationClass {
    /// Read at every start: rotate it, then restart its readers.
    Restart,
    /// A server copied it into its own state at first start (database and
    /// admin passwords): the server's copy must change too (a live step, or
    /// by hand), or its clients are locked out.
    Stored,
    /// Encrypts data at rest: a new value makes that data unreadable unless
    /// the consumer still reads the old one (previous keys).
    DataKey,
    /// Copies live outside the stack (VAPID keys, webhook secrets given to
    /// third parties, tokens embedded in clients): they break.
    Issued,
}

impl RotationClass {
    /// Every class, in the order `secrets catalog` explains them.
    pub const ALL: [RotationClass; 4] = [
        RotationClass::Restart,
        RotationClass::Stored,
        RotationClass::DataKey,
        RotationClass::Issued,
    ];

    /// The name a manifest gives it (`rotation = "data-key"`).
    pub fn name(self) -> &'static str {
        match self {
            RotationClass::Restart => "restart",
            RotationClass::Stored => "stored",
            RotationClass::DataKey => "data-key",
            RotationClass::Issued => "issued",
        }
    }

    /// The class a manifest names, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// What rotating a value of this class does, in a few words.
    pub fn meaning(self) -> &'static str {
        match self {
            RotationClass::Restart => "read at every start: rotate, then restart its readers",
            RotationClass::Stored => "a server keeps its own copy: change it there too",
            RotationClass::DataKey => "encrypts data at rest: a new value makes it unreadable",
            RotationClass::Issued => "copies live outside the stack: they stop working",
        }
    }
}

impl fmt::Display for RotationClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A class written in a manifest or catalog file (`rotation = "..."`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredClass {
    /// The class.
    pub class: RotationClass,
    /// Where it was written.
    pub origin: Origin,
}

/// Where a variable's class comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClassSource {
    /// `rotation = "..."` in the operator's manifest, here.
    Manifest(Origin),
    /// `rotation = "..."` in this catalog component.
    Catalog(String),
    /// The variable has a `postgres_role`: a role's password is stored.
    PostgresRole,
    /// The variable has a `mysql_user`: an account's password is stored.
    MysqlUser,
    /// The variable has a `redis_user`: an ACL user's password is stored.
    RedisUser,
    /// The variable has a `live_command`: a server changes its copy
    /// through its own CLI, so it keeps one.
    LiveCommand,
    /// Nothing classifies it: `restart` is assumed.
    Default,
}

impl ClassSource {
    /// Whether the class was assumed rather than declared.
    pub fn is_default(&self) -> bool {
        matches!(self, ClassSource::Default)
    }
}

impl fmt::Display for ClassSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClassSource::Manifest(origin) => write!(f, "manifest {origin}"),
            ClassSource::Catalog(component) => write!(f, "catalog {component}"),
            ClassSource::PostgresRole => f.write_str("postgres_role"),
            ClassSource::MysqlUser => f.write_str("mysql_user"),
            ClassSource::RedisUser => f.write_str("redis_user"),
            ClassSource::LiveCommand => f.write_str("live_command"),
            ClassSource::Default => f.write_str("assumed: no class in the manifest or catalog"),
        }
    }
}

/// A variable's class and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    /// The class.
    pub class: RotationClass,
    /// Its source.
    pub source: ClassSource,
}

impl fmt::Display for Classified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, {}", self.class, self.source)
    }
}

/// The catalog component a catalog origin names (`<catalog>/NAME.toml`).
fn catalog_component(origin: &Origin) -> Option<&str> {
    origin
        .file
        .strip_prefix("<catalog>/")?
        .strip_suffix(".toml")
}

/// The class of a variable (`None`: a key no manifest describes); see the
/// module docs for the order of the sources. A catalog's `stored` is named
/// as the catalog's even where the variable has a `postgres_role` or
/// `redis_user` too.
pub fn class_of(var: Option<&VarDef>) -> Classified {
    let declared = |d: &DeclaredClass| Classified {
        class: d.class,
        source: match catalog_component(&d.origin) {
            Some(component) => ClassSource::Catalog(component.to_owned()),
            None => ClassSource::Manifest(d.origin.clone()),
        },
    };
    let Some(var) = var else {
        return Classified {
            class: RotationClass::Restart,
            source: ClassSource::Default,
        };
    };
    let live = match var.live_step() {
        Some("postgres") => Some(ClassSource::PostgresRole),
        Some("mysql") => Some(ClassSource::MysqlUser),
        Some("redis") => Some(ClassSource::RedisUser),
        Some(_) => Some(ClassSource::LiveCommand),
        None => None,
    };
    match (&var.rotation, live) {
        (Some(d), _) if catalog_component(&d.origin).is_none() => declared(d),
        // An account's password is stored, whatever the component thought
        // (the catalog's redis requirepass is `restart`).
        (Some(d), None) => declared(d),
        (Some(d), Some(_)) if d.class == RotationClass::Stored => declared(d),
        (_, Some(source)) => Classified {
            class: RotationClass::Stored,
            source,
        },
        (None, None) => Classified {
            class: RotationClass::Restart,
            source: ClassSource::Default,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::ManifestFile;
    use crate::stack::Stack;

    #[test]
    fn names_round_trip() {
        for c in RotationClass::ALL {
            assert_eq!(RotationClass::from_name(c.name()), Some(c));
        }
        assert_eq!(RotationClass::from_name("Stored"), None);
    }

    /// The manifest wins over postgres_role, which wins over the catalog;
    /// nothing at all is an assumed restart.
    #[test]
    fn sources_in_order() {
        let m = ManifestFile::parse(
            "m.toml",
            "[stack]\ninclude = [\"postgres\", \"laravel\"]\n[vars.APP_KEY]\nkind = \"laravel-key\"\nrotation = \"restart\"\n[vars.OWN]\nkind = \"password\"\npostgres_role = \"own\"\n[vars.PLAIN]\nkind = \"password\"\n",
        )
        .unwrap();
        let s = Stack::from_manifest(m).unwrap();
        let of = |n: &str| class_of(s.var(n));
        assert_eq!(of("APP_KEY").class, RotationClass::Restart);
        assert!(matches!(of("APP_KEY").source, ClassSource::Manifest(o) if o.line == 5));
        assert_eq!(
            of("OWN"),
            Classified {
                class: RotationClass::Stored,
                source: ClassSource::PostgresRole
            }
        );
        assert_eq!(of("POSTGRES_PASSWORD").class, RotationClass::Stored);
        assert_eq!(of("PLAIN").source, ClassSource::Default);
        assert_eq!(class_of(None).class, RotationClass::Restart);
        assert_eq!(of("APP_KEY").to_string(), "restart, manifest m.toml:5:12");
    }

    /// A `redis_user` makes a password `stored`, with its live step; the
    /// catalog's requirepass (REDIS_PASSWORD, read from the command line at
    /// every start) stays `restart`.
    #[test]
    fn redis_user_is_stored_and_requirepass_restart() {
        let m = ManifestFile::parse(
            "m.toml",
            "[stack]\ninclude = [\"redis\"]\n[vars.APP_REDIS_PASSWORD]\nkind = \"password\"\nredis_user = \"app\"\n",
        )
        .unwrap();
        let s = Stack::from_manifest(m).unwrap();
        assert_eq!(
            class_of(s.var("APP_REDIS_PASSWORD")),
            Classified {
                class: RotationClass::Stored,
                source: ClassSource::RedisUser
            }
        );
        assert_eq!(
            class_of(s.var("APP_REDIS_PASSWORD")).to_string(),
            "stored, redis_user"
        );
        assert_eq!(
            class_of(s.var("REDIS_PASSWORD")),
            Classified {
                class: RotationClass::Restart,
                source: ClassSource::Catalog("redis".into())
            }
        );
    }

    /// A `live_command` makes a password `stored`, with `--apply command`
    /// as its live step; the catalog's RabbitMQ password has one.
    #[test]
    fn a_live_command_is_stored_with_the_command_step() {
        let m = ManifestFile::parse(
            "m.toml",
            "[stack]\ninclude = [\"rabbitmq\"]\n[vars.PW]\nkind = \"password\"\nlive_command = { service = \"s\", set = [\"set\"], verify = [\"verify\"] }\n",
        )
        .unwrap();
        let s = Stack::from_manifest(m).unwrap();
        assert_eq!(s.var("PW").unwrap().live_step(), Some("command"));
        assert_eq!(class_of(s.var("PW")).to_string(), "stored, live_command");
        let mq = s.var("RABBITMQ_DEFAULT_PASS").unwrap();
        assert_eq!(mq.live_step(), Some("command"));
        assert_eq!(class_of(Some(mq)).class, RotationClass::Stored);
    }
}

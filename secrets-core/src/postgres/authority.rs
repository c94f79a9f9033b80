//! Which database role a key's password belongs to. The manifest decides:
//! a value in a file the service user can edit is data, never authority.
//!
//! `postgres_role = "app"` names the role. `postgres_role = "${APP_USER}"`
//! takes `APP_USER` from the manifest when it defines it (`value = "..."`);
//! a role name that can only come from the `.env` must be listed in
//! `[stack] postgres_roles`, or the rotation is refused: otherwise the
//! service user could write `APP_USER=postgres` and have root give the
//! superuser the password in the service's own `.env`.
//!
//! The rotation journal is no authority either: it exists only while a run
//! is unfinished, and it belongs to the `.env`'s owner, the very user this
//! guards against.

use crate::envfile::Document;
use crate::manifest::Source;
use crate::stack::Stack;

/// The role a key rotates, and whether the manifest names it itself (a
/// literal `postgres_role` or an entry of `postgres_roles`), which is what
/// allows a privileged role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleOfRecord {
    /// The role name.
    pub role: String,
    /// Named by the manifest itself, not through a variable.
    pub named_explicitly: bool,
}

/// A role the manifest does not vouch for.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthorityError {
    /// The role name comes from the `.env` and is not in `postgres_roles`.
    #[error("the role of {key} comes from {var} in the .env (`{role}`), which the manifest does not vouch for: set {var}'s `value` in the manifest or list the role in `[stack] postgres_roles`")]
    NotVouched {
        /// The rotated key.
        key: String,
        /// The variable naming the role.
        var: String,
        /// The role the `.env` names.
        role: String,
    },
    /// The variable naming the role is in neither the manifest nor the file.
    #[error("{var} (the role of {key}) is in neither the manifest nor the .env")]
    Missing {
        /// The rotated key.
        key: String,
        /// The variable naming the role.
        var: String,
    },
}

/// The role `key` rotates, or `None` when the manifest gives it none.
pub fn role_of(
    stack: &Stack,
    key: &str,
    file: &Document,
) -> Result<Option<RoleOfRecord>, AuthorityError> {
    let Some(spec) = stack.var(key).and_then(|v| v.postgres_role.as_deref()) else {
        return Ok(None);
    };
    let Some(var) = spec.strip_prefix("${").and_then(|r| r.strip_suffix('}')) else {
        return Ok(Some(RoleOfRecord {
            role: spec.to_owned(),
            named_explicitly: true,
        }));
    };
    if let Some(Source::Literal(value)) = stack.var(var).map(|v| &v.source) {
        let explicit = stack.postgres_roles.iter().any(|r| r == value);
        return Ok(Some(RoleOfRecord {
            role: value.clone(),
            named_explicitly: explicit,
        }));
    }
    let role = file
        .get(var)
        .map(|v| v.expose().to_owned())
        .ok_or_else(|| AuthorityError::Missing {
            key: key.to_owned(),
            var: var.to_owned(),
        })?;
    if stack.postgres_roles.contains(&role) {
        return Ok(Some(RoleOfRecord {
            role,
            named_explicitly: true,
        }));
    }
    Err(AuthorityError::NotVouched {
        key: key.to_owned(),
        var: var.to_owned(),
        role,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::ManifestFile;

    fn stack(text: &str) -> Stack {
        Stack::from_manifest(ManifestFile::parse("m.toml", text).unwrap()).unwrap()
    }

    #[test]
    fn the_manifest_decides() {
        let env = Document::parse(b"APP_USER=postgres\nAPP_PASSWORD=x\n").unwrap();
        let with_value = stack(
            "[vars.APP_USER]\nvalue = \"limited\"\n[vars.APP_PASSWORD]\nkind = \"password\"\npostgres_role = \"${APP_USER}\"\n",
        );
        assert_eq!(
            role_of(&with_value, "APP_PASSWORD", &env).unwrap(),
            Some(RoleOfRecord {
                role: "limited".into(),
                named_explicitly: false
            })
        );
        let from_env = stack(
            "[vars.APP_USER]\nexternal = true\n[vars.APP_PASSWORD]\nkind = \"password\"\npostgres_role = \"${APP_USER}\"\n",
        );
        assert!(matches!(
            role_of(&from_env, "APP_PASSWORD", &env),
            Err(AuthorityError::NotVouched { role, .. }) if role == "postgres"
        ));
        let allowed = stack(
            "[stack]\npostgres_roles = [\"postgres\"]\n[vars.APP_USER]\nexternal = true\n[vars.APP_PASSWORD]\nkind = \"password\"\npostgres_role = \"${APP_USER}\"\n",
        );
        assert!(
            role_of(&allowed, "APP_PASSWORD", &env)
                .unwrap()
                .unwrap()
                .named_explicitly
        );
        let literal = stack("[vars.APP_PASSWORD]\nkind = \"password\"\npostgres_role = \"app\"\n");
        assert_eq!(
            role_of(&literal, "APP_PASSWORD", &env)
                .unwrap()
                .unwrap()
                .role,
            "app"
        );
        assert_eq!(role_of(&literal, "OTHER", &env).unwrap(), None);
    }
}

//! A stack: the variables of a manifest and the catalog components it
//! includes, checked for dangling references and cycles, and the values
//! computed for them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use rand::{CryptoRng, Rng};

use crate::generate::DeriveError;
use crate::manifest::{catalog, ManifestError, ManifestFile, Namespace, Origin, Source, VarDef};
use crate::SecretValue;

/// The variables of a stack, in output order: included components first (a
/// component's own includes before it), then the manifest's own variables.
///
/// ```
/// use secrets_core::generate::os_rng;
/// use secrets_core::manifest::ManifestFile;
/// use secrets_core::stack::{Existing, Stack};
///
/// let manifest = ManifestFile::parse("secrets.toml", r#"
/// [stack]
/// include = ["postgres"]
///
/// [vars.SESSION_KEY]
/// kind = "hex"
/// bytes = 32
/// "#)?;
/// let stack = Stack::from_manifest(manifest)?;
/// let resolved = stack.resolve(&Existing::new(), &mut os_rng(), std::time::SystemTime::now())?;
/// assert_eq!(resolved.values["SESSION_KEY"].len(), 64);
/// // The connection URL is derived from the generated password.
/// let password = resolved.values["POSTGRES_PASSWORD"].expose();
/// assert!(resolved.values["DATABASE_URL"].expose().contains(password));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Stack {
    /// The stack's name.
    pub name: String,
    /// Components pulled in, in order.
    pub components: Vec<String>,
    /// Owner (uid, gid) of secret files inside containers, from the manifest.
    pub secrets_owner: (Option<u32>, Option<u32>),
    /// Database roles whose names may come from the `.env` (the
    /// manifest's `[stack] postgres_roles`).
    pub postgres_roles: Vec<String>,
    /// The manifest's age recipients (`[stack] recipients`).
    pub recipients: Vec<String>,
    /// The manifest's recipients file (`[stack] recipients_file`).
    pub recipients_file: Option<std::path::PathBuf>,
    /// The `.env` files the manifest describes (`[stack] env_files`),
    /// paths or glob patterns as written, relative to [`Stack::dir`].
    pub env_files: Vec<std::path::PathBuf>,
    /// The manifest's directory; `None` for a manifest parsed from text
    /// ([`Stack::with_dir`] gives one; an audit refuses relative
    /// `env_files` without one).
    pub dir: Option<std::path::PathBuf>,
    vars: Vec<VarDef>,
    /// Positions in `vars` sorted by name: the check rules look names up
    /// for every line of every file (a binary search costs less than
    /// hashing the name).
    by_name: Vec<usize>,
    /// Whether each variable holds a secret ([`crate::check::is_secret_key`]),
    /// worked out once.
    secret: Vec<bool>,
}

/// Values already present (in an existing `.env`), by name.
pub type Existing = BTreeMap<String, SecretValue>;

/// A value could not be computed. Names variables, never values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// A derived value's input is not valid for the derivation.
    // `reason` describes the input ("is not a valid ..."), not a cause, so
    // it is part of the message rather than a source.
    #[error("cannot compute {name} from {from}: {from} {reason}")]
    Derive {
        /// The derived variable.
        name: String,
        /// Its input.
        from: String,
        /// What is wrong with the input.
        reason: DeriveError,
    },
}

/// The values of a stack.
#[derive(Debug)]
pub struct Resolved {
    /// Every variable that has a value (external ones may not).
    pub values: BTreeMap<String, SecretValue>,
    /// Variables that were not in `existing` and got a value now, in stack order.
    pub added: Vec<String>,
    /// External variables with no value yet, in stack order.
    pub missing_external: Vec<String>,
}

impl Stack {
    /// Loads a manifest and the components it includes.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        Self::from_manifest(ManifestFile::load(path)?)
    }

    /// A stack of catalog components alone. An unknown component is
    /// reported at [`Origin::argument`].
    pub fn from_components(name: &str, components: &[String]) -> Result<Self, ManifestError> {
        let origin = Origin::argument();
        Self::from_manifest(ManifestFile {
            name: name.to_owned(),
            description: None,
            include: components
                .iter()
                .map(|c| (c.clone(), origin.clone()))
                .collect(),
            vars: Vec::new(),
            secrets_owner: (None, None),
            postgres_roles: Vec::new(),
            recipients: Vec::new(),
            recipients_file: None,
            env_files: vec![".env".into(), ".env.*".into()],
            dir: None,
        })
    }

    /// Builds a stack from a parsed manifest.
    pub fn from_manifest(manifest: ManifestFile) -> Result<Self, ManifestError> {
        let mut components = Vec::new();
        let mut vars: Vec<VarDef> = Vec::new();
        for (name, origin) in &manifest.include {
            add_component(
                &catalog::component,
                name,
                origin,
                &mut components,
                &mut vars,
                &mut Vec::new(),
            )?;
        }
        // Where each name is first defined: a manifest may define thousands.
        let mut defined: HashMap<String, usize> = HashMap::new();
        for (i, v) in vars.iter().enumerate() {
            defined.entry(v.name.clone()).or_insert(i);
        }
        for var in manifest.vars {
            // A manifest's own definition overrides a component's, keeping
            // the component's place and group.
            match defined.get(&var.name).map(|&i| &mut vars[i]) {
                Some(slot) => {
                    let component = std::mem::take(&mut slot.component);
                    let description = slot.description.take();
                    let services = std::mem::take(&mut slot.services);
                    let rollover = slot.rollover.take();
                    let file_env = slot.file_env.take();
                    let postgres_role = slot.postgres_role.take();
                    let mysql_user = slot.mysql_user.take();
                    let redis_user = slot.redis_user.take();
                    let rotation = slot.rotation.take();
                    let previous_keys = slot.previous_keys.take();
                    let live_command = slot.live_command.take();
                    *slot = VarDef {
                        component,
                        description: var.description.clone().or(description),
                        services: if var.services.is_empty() {
                            services
                        } else {
                            var.services.clone()
                        },
                        rollover: var.rollover.clone().or(rollover),
                        file_env: var.file_env.clone().or(file_env),
                        postgres_role: var.postgres_role.clone().or(postgres_role),
                        mysql_user: var.mysql_user.clone().or(mysql_user),
                        redis_user: var.redis_user.clone().or(redis_user),
                        rotation: var.rotation.clone().or(rotation),
                        previous_keys: var.previous_keys.clone().or(previous_keys),
                        live_command: var.live_command.clone().or(live_command),
                        ..var
                    };
                }
                None => {
                    defined.insert(var.name.clone(), vars.len());
                    vars.push(var);
                }
            }
        }
        let mut stack = Stack {
            name: manifest.name,
            secrets_owner: manifest.secrets_owner,
            postgres_roles: manifest.postgres_roles,
            recipients: manifest.recipients,
            recipients_file: manifest.recipients_file,
            env_files: manifest.env_files,
            dir: manifest.dir,
            components,
            by_name: {
                let mut order: Vec<usize> = (0..vars.len()).collect();
                order.sort_by(|&a, &b| vars[a].name.cmp(&vars[b].name));
                order
            },
            vars,
            secret: Vec::new(),
        };
        stack.check_references()?;
        stack.secret = (stack.vars.iter())
            .map(|v| crate::check::is_secret_var(&stack, v))
            .collect();
        Ok(stack)
    }

    /// With the directory its relative [`Stack::env_files`] are taken from:
    /// a manifest parsed from text has none, and [`crate::audit`] refuses
    /// to guess it.
    pub fn with_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// The variables in output order.
    pub fn vars(&self) -> &[VarDef] {
        &self.vars
    }

    /// A variable by name.
    pub fn var(&self, name: &str) -> Option<&VarDef> {
        self.position(name).map(|i| &self.vars[i])
    }

    /// Where `name` is in `vars`.
    fn position(&self, name: &str) -> Option<usize> {
        let at = self
            .by_name
            .binary_search_by(|&i| self.vars[i].name.as_str().cmp(name))
            .ok()?;
        Some(self.by_name[at])
    }

    /// Whether the variable `name` holds a secret; `None` when the stack
    /// has no such variable.
    pub(crate) fn holds_secret(&self, name: &str) -> Option<bool> {
        self.secret.get(self.position(name)?).copied()
    }

    fn check_references(&self) -> Result<(), ManifestError> {
        let names: HashSet<&str> = self.vars.iter().map(|v| v.name.as_str()).collect();
        for v in &self.vars {
            for input in v.source.inputs() {
                if !names.contains(input) {
                    return Err(ManifestError::UnknownReference {
                        origin: v
                            .reference_origin
                            .clone()
                            .unwrap_or_else(|| v.origin.clone()),
                        variable: v.name.clone(),
                        reference: input.to_owned(),
                    });
                }
            }
        }
        self.order().map(|_| ())
    }

    /// Indices of the variables with every input before its dependents.
    fn order(&self) -> Result<Vec<usize>, ManifestError> {
        let index: HashMap<&str, usize> = self
            .vars
            .iter()
            .enumerate()
            .map(|(i, v)| (v.name.as_str(), i))
            .collect();
        // 0 = unvisited, 1 = on the current path, 2 = done.
        let mut state = vec![0u8; self.vars.len()];
        let mut order = Vec::with_capacity(self.vars.len());
        fn visit(
            s: &Stack,
            i: usize,
            index: &HashMap<&str, usize>,
            state: &mut [u8],
            path: &mut Vec<usize>,
            order: &mut Vec<usize>,
        ) -> Result<(), ManifestError> {
            match state[i] {
                2 => return Ok(()),
                1 => {
                    let start = path.iter().position(|&p| p == i).unwrap_or(0);
                    let mut cycle: Vec<&str> = path[start..]
                        .iter()
                        .map(|&p| s.vars[p].name.as_str())
                        .collect();
                    cycle.push(&s.vars[i].name);
                    let closing = &s.vars[*path.last().unwrap_or(&i)];
                    return Err(ManifestError::DerivationCycle {
                        origin: closing
                            .reference_origin
                            .clone()
                            .unwrap_or_else(|| closing.origin.clone()),
                        cycle: cycle.into_iter().map(str::to_owned).collect(),
                    });
                }
                _ => {}
            }
            state[i] = 1;
            path.push(i);
            for input in s.vars[i].source.inputs() {
                if let Some(&j) = index.get(input) {
                    visit(s, j, index, state, path, order)?;
                }
            }
            path.pop();
            state[i] = 2;
            order.push(i);
            Ok(())
        }
        for i in 0..self.vars.len() {
            visit(self, i, &index, &mut state, &mut Vec::new(), &mut order)?;
        }
        Ok(order)
    }

    /// Computes every value: existing ones are kept, missing ones are
    /// generated or derived from the values at hand. `now` stamps signed
    /// tokens (`iat`, `exp`).
    pub fn resolve<R: Rng + CryptoRng + ?Sized>(
        &self,
        existing: &Existing,
        rng: &mut R,
        now: std::time::SystemTime,
    ) -> Result<Resolved, ResolveError> {
        let order = self.order().expect("checked when the stack was built");
        let mut values: BTreeMap<String, SecretValue> = BTreeMap::new();
        let mut added = HashSet::new();
        for i in order {
            let v = &self.vars[i];
            if let Some(old) = existing.get(&v.name) {
                values.insert(v.name.clone(), old.clone());
                continue;
            }
            let new = match &v.source {
                Source::Generate(kind) => Some(kind.generate(rng)),
                Source::Literal(text) => Some(SecretValue::new(text.clone())),
                Source::SameAs(other) => values.get(other).cloned(),
                Source::Derive { derivation, from } => match values.get(from) {
                    Some(input) => Some(derivation.derive(input, now).map_err(|reason| {
                        ResolveError::Derive {
                            name: v.name.clone(),
                            from: from.clone(),
                            reason,
                        }
                    })?),
                    None => None,
                },
                Source::Template(t) => t.render(|n| values.get(n).map(SecretValue::expose)),
                Source::External => None,
            };
            if let Some(new) = new {
                values.insert(v.name.clone(), new);
                added.insert(v.name.clone());
            }
        }
        let in_order = |pred: &dyn Fn(&VarDef) -> bool| -> Vec<String> {
            self.vars
                .iter()
                .filter(|v| pred(v))
                .map(|v| v.name.clone())
                .collect()
        };
        Ok(Resolved {
            added: in_order(&|v| added.contains(&v.name)),
            missing_external: in_order(&|v| {
                matches!(v.source, Source::External) && !values.contains_key(&v.name)
            }),
            values,
        })
    }
}

/// The catalog's component of a name, parsed (a parameter so that tests
/// can hand in components the built-in catalog does not have).
type ComponentLookup = dyn Fn(&str) -> Option<Result<ManifestFile, ManifestError>>;

fn add_component(
    lookup: &ComponentLookup,
    name: &str,
    origin: &Origin,
    components: &mut Vec<String>,
    vars: &mut Vec<VarDef>,
    path: &mut Vec<String>,
) -> Result<(), ManifestError> {
    if components.iter().any(|c| c == name) {
        return Ok(());
    }
    if path.iter().any(|c| c == name) {
        let mut cycle = path.clone();
        cycle.push(name.to_owned());
        return Err(ManifestError::IncludeCycle {
            origin: origin.clone(),
            cycle,
        });
    }
    let Some(file) = lookup(name) else {
        return Err(ManifestError::Unknown {
            origin: origin.clone(),
            namespace: Namespace::Component,
            name: name.to_owned(),
            suggestion: crate::suggest::closest(name, catalog::component_names()),
        });
    };
    let file = file?;
    path.push(name.to_owned());
    for (inc, inc_origin) in &file.include {
        add_component(lookup, inc, inc_origin, components, vars, path)?;
    }
    path.pop();
    for var in file.vars {
        if let Some(prev) = vars.iter().find(|v| v.name == var.name) {
            return Err(ManifestError::DuplicateVariable {
                origin: var.origin,
                variable: var.name,
                first: prev.component.clone(),
                second: name.to_owned(),
            });
        }
        vars.push(var);
    }
    components.push(name.to_owned());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn stack(text: &str) -> Result<Stack, ManifestError> {
        Stack::from_manifest(ManifestFile::parse("m.toml", text)?)
    }

    // The whole catalog holds a VAPID pair.
    #[cfg(feature = "vapid")]
    #[test]
    fn whole_catalog_resolves_with_consistent_dependents() {
        let groups = catalog::composable_groups().unwrap();
        for group in &groups[1..] {
            let group: Vec<String> = group.iter().map(|c| c.to_string()).collect();
            let s = Stack::from_components("group", &group).unwrap();
            s.resolve(
                &Existing::new(),
                &mut StdRng::from_os_rng(),
                crate::at(1_700_000_000),
            )
            .unwrap();
        }
        // The first group holds every image component and the projects that
        // compose with them.
        let first: Vec<String> = groups[0].iter().map(|c| c.to_string()).collect();
        let s = Stack::from_components("all", &first).unwrap();
        let r = s
            .resolve(
                &Existing::new(),
                &mut StdRng::from_os_rng(),
                crate::at(1_700_000_000),
            )
            .unwrap();
        let get = |n: &str| r.values[n].expose().to_owned();
        assert_eq!(get("PGRST_JWT_SECRET"), get("JWT_SECRET"));
        assert_eq!(
            get("DATABASE_URL"),
            format!(
                "postgresql://postgres:{}@postgres:5432/app",
                get("POSTGRES_PASSWORD")
            )
        );
        let hasura: serde_json::Value =
            serde_json::from_str(&get("HASURA_GRAPHQL_JWT_SECRET")).unwrap();
        assert_eq!(hasura["key"], get("JWT_SECRET").as_str());
        assert_eq!(
            r.missing_external,
            ["PGADMIN_DEFAULT_EMAIL", "VAPID_SUBJECT"]
        );
        assert!(!r.added.contains(&"VAPID_SUBJECT".to_owned()));
        // jwt comes before its dependents even though postgrest is listed first.
        assert!(
            s.components.iter().position(|c| c == "jwt")
                < s.components.iter().position(|c| c == "postgrest")
        );
    }

    #[test]
    fn existing_values_are_kept_and_dependents_follow_them() {
        let s = Stack::from_components("s", &["postgres".into()]).unwrap();
        let mut existing = Existing::new();
        existing.insert("POSTGRES_PASSWORD".into(), SecretValue::new("p@ss".into()));
        let r = s
            .resolve(&existing, &mut StdRng::from_os_rng(), std::time::UNIX_EPOCH)
            .unwrap();
        assert_eq!(
            r.values["DATABASE_URL"].expose(),
            "postgresql://postgres:p%40ss@postgres:5432/app"
        );
        assert_eq!(r.added, ["POSTGRES_USER", "POSTGRES_DB", "DATABASE_URL"]);
    }

    #[test]
    fn manifest_overrides_keep_the_component_place() {
        let s = stack("[stack]\ninclude=[\"postgres\"]\n[vars.POSTGRES_DB]\nvalue=\"notionbot\"\n[vars.X]\nvalue=\"y\"\n").unwrap();
        let names: Vec<(&str, &str)> = s
            .vars()
            .iter()
            .map(|v| (v.name.as_str(), v.component.as_str()))
            .collect();
        assert_eq!(names[2], ("POSTGRES_DB", "postgres"));
        assert_eq!(names[4], ("X", "m"));
        assert_eq!(
            s.var("POSTGRES_DB").unwrap().source,
            Source::Literal("notionbot".into())
        );
    }

    #[test]
    fn references_and_cycles_are_errors_with_places() {
        let e = stack("[vars.A]\nsame_as = \"B\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "m.toml:2:11: `A` refers to `B`, which is not defined");
        let e = stack("[vars.A]\nsame_as = \"B\"\n[vars.B]\ntemplate = \"x${A}\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "m.toml:4:12: derivation cycle: A -> B -> A");
        let e = stack("[stack]\ninclude = [\"postgress\"]\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "m.toml:2:12: unknown component `postgress`; did you mean `postgres`?"
        );
        let e = stack("[stack]\ninclude = [\"oracle\"]\n").unwrap_err();
        assert!(
            matches!(
                &e,
                ManifestError::Unknown {
                    suggestion: None,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn components_including_each_other_are_an_include_cycle() {
        // The built-in catalog has no cycle (a catalog test includes every
        // component); a lookup with one shows that it would be refused.
        let lookup = |name: &str| {
            let text = match name {
                "a" => "[component]\ninclude = [\"b\"]\n",
                "b" => "[component]\ninclude = [\"c\"]\n",
                "c" => "[component]\n\ninclude = [\"a\"]\n",
                _ => return None,
            };
            Some(ManifestFile::parse(&format!("<test>/{name}.toml"), text))
        };
        let origin = Origin {
            file: "m.toml".into(),
            line: 1,
            col: 1,
        };
        let (mut components, mut vars) = (Vec::new(), Vec::new());
        let e = add_component(
            &lookup,
            "a",
            &origin,
            &mut components,
            &mut vars,
            &mut Vec::new(),
        )
        .unwrap_err();
        assert!(
            matches!(&e, ManifestError::IncludeCycle { origin, cycle }
                if cycle == &["a", "b", "c", "a"] && &*origin.file == "<test>/c.toml" && origin.line == 3),
            "{e}"
        );
        assert_eq!(
            e.to_string(),
            "<test>/c.toml:3:12: component include cycle: a -> b -> c -> a"
        );
        assert!(components.is_empty(), "{components:?}");
    }

    #[test]
    fn stack_mistakes_are_matchable_variants() {
        let e = stack("[vars.A]\ntemplate = \"x${B}\"\n").unwrap_err();
        assert!(
            matches!(&e, ManifestError::UnknownReference { origin, variable, reference }
                if variable == "A" && reference == "B" && origin.line == 2),
            "{e}"
        );
        let e = stack("[vars.A]\nsame_as = \"B\"\n[vars.B]\nsame_as = \"A\"\n").unwrap_err();
        assert!(
            matches!(&e, ManifestError::DerivationCycle { origin, cycle } if cycle == &["A", "B", "A"] && origin.line == 4),
            "{e}"
        );
        let e = stack("[stack]\ninclude = [\"oracle\"]\n").unwrap_err();
        assert!(
            matches!(&e, ManifestError::Unknown { namespace: Namespace::Component, name, origin, .. }
                if name == "oracle" && origin.line == 2 && origin.col == 12),
            "{e}"
        );
        // Outline's and Plane's SECRET_KEY follow different rules.
        let e = Stack::from_components("s", &["outline".into(), "plane".into()]).unwrap_err();
        assert!(
            matches!(&e, ManifestError::DuplicateVariable { origin, variable, first, second }
                if origin.file.contains("plane") && variable == "SECRET_KEY" && first == "outline" && second == "plane"),
            "{e}"
        );
    }

    #[test]
    fn invalid_vapid_input_is_reported_without_its_value() {
        let s = Stack::from_components("s", &["web-push".into()]).unwrap();
        let mut existing = Existing::new();
        existing.insert(
            "VAPID_PRIVATE_KEY".into(),
            SecretValue::new("bm90LWEta2V5".into()),
        );
        let e = s
            .resolve(&existing, &mut StdRng::from_os_rng(), std::time::UNIX_EPOCH)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "cannot compute VAPID_PUBLIC_KEY from VAPID_PRIVATE_KEY: VAPID_PRIVATE_KEY is not a valid P-256 private key (32 bytes, base64url)");
    }
}

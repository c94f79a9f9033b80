//! The built-in catalog, embedded in the binary: one component per upstream
//! image or framework, with the variable names it reads, and one per
//! self-hosted project's env template. Each generated variable's file cites
//! the source of its rule (`# Source:`).

use std::collections::BTreeMap;

use super::{ManifestError, ManifestFile, Namespace, Origin};

/// A component's name and its embedded `catalog/NAME.toml`.
macro_rules! component {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("../../catalog/", $name, ".toml")),
        )
    };
}

/// Component names and their TOML sources, in the order `secrets catalog`
/// lists them: images and frameworks, then projects' self-hosting templates.
const SOURCES: &[(&str, &str)] = &[
    component!("postgres"),
    component!("jwt"),
    component!("postgrest"),
    component!("hasura"),
    component!("supabase"),
    component!("minio"),
    component!("imgproxy"),
    component!("pgcat"),
    component!("grafana"),
    component!("pgadmin"),
    component!("supertokens"),
    component!("redis"),
    component!("mongodb"),
    component!("django"),
    component!("vapid"),
    component!("web-push"),
    component!("mysql"),
    component!("mariadb"),
    component!("rabbitmq"),
    component!("meilisearch"),
    component!("rails"),
    component!("laravel"),
    component!("nextauth"),
    component!("supabase-self-hosted"),
    component!("mastodon"),
    component!("outline"),
    component!("n8n"),
    component!("n8n-hosting"),
    component!("paperless"),
    component!("umami"),
    component!("plane"),
    component!("hoppscotch"),
    component!("infisical"),
    component!("formbricks"),
    component!("pterodactyl"),
    component!("sentry"),
];

/// The names of every component.
pub fn component_names() -> impl Iterator<Item = &'static str> {
    SOURCES.iter().map(|(n, _)| *n)
}

/// Every component, parsed, in catalog order.
pub fn components() -> Result<Vec<ManifestFile>, ManifestError> {
    component_names()
        .filter_map(component)
        .collect::<Result<_, _>>()
}

/// The components and the kinds as `secrets catalog --format json` prints
/// them: names, descriptions, inclusions and each variable's source,
/// rotation class and previous-keys variable.
pub fn to_json(components: &[ManifestFile]) -> serde_json::Value {
    let components: Vec<serde_json::Value> = (components.iter())
        .map(|c| {
            serde_json::json!({
                "name": c.name,
                "description": c.description,
                "include": c.include.iter().map(|(n, _)| n).collect::<Vec<_>>(),
                "vars": c.vars.iter().map(|v| serde_json::json!({
                    "name": v.name,
                    "source": v.source.summary(),
                    "description": v.description,
                    "rotation": v.rotation.as_ref().map(|r| r.class.name()),
                    "previous_keys": v.previous_keys,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::json!({
        "version": 1,
        "tool": "secrets",
        "tool_version": env!("CARGO_PKG_VERSION"),
        "command": "catalog",
        "components": components,
        "kinds": crate::generate::KINDS,
        "rotation_classes": crate::rotate::RotationClass::ALL.iter()
            .map(|c| serde_json::json!({ "name": c.name(), "meaning": c.meaning() }))
            .collect::<Vec<_>>(),
    })
}

/// A component by name, parsed. `None` for an unknown name.
pub fn component(name: &str) -> Option<Result<ManifestFile, ManifestError>> {
    SOURCES.iter().find(|(n, _)| *n == name).map(|(n, text)| {
        let mut file = ManifestFile::parse(&format!("<catalog>/{n}.toml"), text)?;
        file.name = (*n).to_owned();
        for v in &mut file.vars {
            v.component = (*n).to_owned();
        }
        Ok(file)
    })
}

/// Every variable a component defines, its includes' too, with the
/// component that defines it.
fn definitions(name: &str, named_at: &Origin) -> Result<BTreeMap<String, String>, ManifestError> {
    let Some(file) = component(name) else {
        return Err(ManifestError::Unknown {
            origin: named_at.clone(),
            namespace: Namespace::Component,
            name: name.to_owned(),
            suggestion: crate::suggest::closest(name, component_names()),
        });
    };
    let file = file?;
    let mut out = BTreeMap::new();
    for (inc, at) in &file.include {
        out.extend(definitions(inc, at)?);
    }
    for v in file.vars {
        out.insert(v.name, file.name.clone());
    }
    Ok(out)
}

/// The components in groups that can each be one stack. Projects give one
/// name each its own consumer's rule (Outline's and Plane's `SECRET_KEY`,
/// the `POSTGRES_PASSWORD` of each bundled database), so the catalog does not
/// compose as a whole. Greedy in catalog order: a component joins the first
/// group where every name it shares is defined by the same component. For
/// what exercises the whole catalog: tests and benchmarks.
pub fn composable_groups() -> Result<Vec<Vec<&'static str>>, ManifestError> {
    let mut groups: Vec<(Vec<&'static str>, BTreeMap<String, String>)> = Vec::new();
    for name in component_names() {
        let itself = Origin {
            file: format!("<catalog>/{name}.toml").into(),
            line: 1,
            col: 1,
        };
        let defs = definitions(name, &itself)?;
        let fits = |names: &BTreeMap<String, String>| {
            defs.iter()
                .all(|(var, by)| names.get(var).is_none_or(|other| other == by))
        };
        match groups.iter_mut().find(|(_, names)| fits(names)) {
            Some((members, names)) => {
                members.push(name);
                names.extend(defs);
            }
            None => groups.push((vec![name], defs)),
        }
    }
    Ok(groups.into_iter().map(|(members, _)| members).collect())
}

#[cfg(test)]
mod tests {
    // Most helpers serve the tests that compare with the check rules.
    #![cfg_attr(not(feature = "check"), allow(unused_imports, dead_code))]
    use super::*;
    #[cfg(feature = "check")]
    use crate::check::{check_env, EnvContext, RuleId};
    use crate::envfile::Document;
    use crate::generate::{django_key_passes_w009, os_rng, Kind};
    use crate::manifest::Source;
    #[cfg(feature = "vapid")]
    use crate::stack::Existing;
    use crate::stack::Stack;
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;

    #[test]
    fn every_component_parses_and_includes_known_components() {
        for name in component_names() {
            let c = component(name).unwrap().unwrap();
            assert!(c.description.is_some(), "{name} has no description");
            for (inc, _) in &c.include {
                assert!(component(inc).is_some(), "{name} includes unknown {inc}");
            }
            for v in &c.vars {
                assert!(
                    v.description.is_some(),
                    "{name}.{} has no description",
                    v.name
                );
            }
        }
        assert!(component("nope").is_none());
    }

    /// Every generated or derived variable cites where its rule comes from:
    /// a `# Source:` line in the comment block above it.
    #[test]
    fn every_generated_variable_cites_its_source() {
        for (name, text) in SOURCES {
            let c = component(name).unwrap().unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for v in &c.vars {
                if !matches!(v.source, Source::Generate(_) | Source::Derive { .. }) {
                    continue;
                }
                let at = lines
                    .iter()
                    .position(|l| *l == format!("[vars.{}]", v.name))
                    .unwrap();
                let cited = lines[..at]
                    .iter()
                    .rev()
                    .take_while(|l| l.starts_with('#'))
                    .any(|l| l.starts_with("# Source:"));
                assert!(cited, "{name}.{} has no `# Source:` comment", v.name);
            }
        }
    }

    /// Every generated or derived variable has a rotation class, and the
    /// comment block above it says which and why (`# Rotation: CLASS; ...`
    /// with its source), as `# Source:` does for the format rule.
    #[test]
    fn every_generated_variable_has_a_rotation_class_with_its_source() {
        for (name, text) in SOURCES {
            let c = component(name).unwrap().unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for v in &c.vars {
                if !matches!(v.source, Source::Generate(_) | Source::Derive { .. }) {
                    continue;
                }
                let declared = v
                    .rotation
                    .as_ref()
                    .unwrap_or_else(|| panic!("{name}.{} has no `rotation`", v.name));
                let at = lines
                    .iter()
                    .position(|l| *l == format!("[vars.{}]", v.name))
                    .unwrap();
                let comment = format!("# Rotation: {};", declared.class);
                let cited = lines[..at]
                    .iter()
                    .rev()
                    .take_while(|l| l.starts_with('#'))
                    .any(|l| l.starts_with(&comment));
                assert!(cited, "{name}.{} has no `{comment}` comment", v.name);
            }
        }
    }

    /// The classes the issue names, from the images' documentation: first
    /// start only (stored), encryption at rest (data-key), copies outside
    /// the stack (issued); and values read at every start (restart).
    #[test]
    fn known_classes() {
        use crate::rotate::class::{class_of, ClassSource, RotationClass as C};
        let cases: &[(&str, &str, C)] = &[
            ("postgres", "POSTGRES_PASSWORD", C::Stored),
            ("mysql", "MYSQL_ROOT_PASSWORD", C::Stored),
            ("mariadb", "MARIADB_PASSWORD", C::Stored),
            ("mongodb", "MONGO_INITDB_ROOT_PASSWORD", C::Stored),
            ("grafana", "GF_SECURITY_ADMIN_PASSWORD", C::Stored),
            ("rabbitmq", "RABBITMQ_DEFAULT_PASS", C::Stored),
            ("pgadmin", "PGADMIN_DEFAULT_PASSWORD", C::Stored),
            ("mastodon", "DB_PASS", C::Stored),
            ("laravel", "APP_KEY", C::DataKey),
            ("n8n", "N8N_ENCRYPTION_KEY", C::DataKey),
            (
                "mastodon",
                "ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY",
                C::DataKey,
            ),
            ("vapid", "VAPID_PRIVATE_KEY", C::Issued),
            ("supabase", "ANON_KEY", C::Issued),
            ("redis", "REDIS_PASSWORD", C::Restart),
            ("minio", "MINIO_ROOT_PASSWORD", C::Restart),
            ("jwt", "JWT_SECRET", C::Restart),
        ];
        for (component, var, class) in cases {
            let s = stack(component);
            let got = class_of(s.var(var));
            assert_eq!(got.class, *class, "{component}.{var}");
            assert!(
                matches!(&got.source, ClassSource::Catalog(c) if c == component),
                "{component}.{var}: {}",
                got.source
            );
        }
        let laravel = stack("laravel");
        assert_eq!(
            laravel.var("APP_KEY").unwrap().previous_keys.as_deref(),
            Some("APP_PREVIOUS_KEYS")
        );
    }

    #[test]
    fn every_group_composes_and_every_component_is_in_one() {
        let groups = composable_groups().unwrap();
        let mut seen: Vec<&str> = groups.iter().flatten().copied().collect();
        assert_eq!(seen.len(), component_names().count());
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), component_names().count());
        for g in &groups {
            let g: Vec<String> = g.iter().map(|c| c.to_string()).collect();
            Stack::from_components("g", &g).unwrap();
        }
        // Outline's and Plane's SECRET_KEY have different rules: apart.
        let group_of = |c: &str| groups.iter().position(|g| g.contains(&c));
        assert_ne!(group_of("outline"), group_of("plane"));
        assert_eq!(group_of("postgres"), Some(0));
    }

    fn stack(component: &str) -> Stack {
        Stack::from_components("t", &[component.to_owned()]).unwrap()
    }

    #[cfg(feature = "check")]
    /// SC007 findings of `check` on a one-line `.env`, with the component's
    /// stack.
    fn format_findings(stack: &Stack, key: &str, value: &str) -> Vec<String> {
        let doc = Document::parse(format!("{key}='{value}'\n").as_bytes()).unwrap();
        let cx = EnvContext {
            path: std::path::Path::new(".env"),
            doc: &doc,
            stack: Some(stack),
            example: None,
            example_path: None,
            now: std::time::UNIX_EPOCH,
        };
        check_env(&cx)
            .into_iter()
            .filter(|f| f.rule == RuleId::WrongFormat && f.key.as_deref() == Some(key))
            .map(|f| f.message)
            .collect()
    }

    #[cfg(feature = "check")]
    fn hex_of(bytes: usize) -> impl Fn(&str) -> bool {
        move |v: &str| v.len() == 2 * bytes && v.bytes().all(|b| b.is_ascii_hexdigit())
    }
    #[cfg(feature = "check")]
    fn at_least(chars: usize) -> impl Fn(&str) -> bool {
        move |v: &str| v.chars().count() >= chars
    }
    #[cfg(feature = "check")]
    fn alnum(v: &str) -> bool {
        !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric())
    }

    #[cfg(feature = "check")]
    /// Each new rule, stated independently of the kinds (the known answer:
    /// its length and alphabet from the consumer's source, as cited in the
    /// catalog file), with a value that breaks it. Many generated values must
    /// meet the rule and pass `check`; the breaking one must be flagged.
    #[test]
    fn generated_values_meet_each_consumers_rule_and_check_agrees() {
        type Rule = Box<dyn Fn(&str) -> bool>;
        let rules: Vec<(&str, &str, Rule, &str)> = vec![
            // Supabase self-hosting guide.
            (
                "supabase-self-hosted",
                "VAULT_ENC_KEY",
                Box::new(|v: &str| v.len() == 32 && alnum(v)),
                "Qm7vT2xZp9Qm7vT2xZp9Qm7vT2xZp9Q",
            ),
            (
                "supabase-self-hosted",
                "SECRET_KEY_BASE",
                Box::new(at_least(64)),
                "Qm7vT2xZp9Qm7vT2xZp9Qm7vT2xZp9Qm7vT2xZp9",
            ),
            (
                "supabase-self-hosted",
                "PG_META_CRYPTO_KEY",
                Box::new(at_least(32)),
                "Qm7vT2xZp9Qm7vT2x",
            ),
            (
                "supabase-self-hosted",
                "LOGFLARE_PUBLIC_ACCESS_TOKEN",
                Box::new(at_least(32)),
                "Qm7vT2xZp9Qm7vT2x",
            ),
            (
                "supabase-self-hosted",
                "LOGFLARE_PRIVATE_ACCESS_TOKEN",
                Box::new(at_least(32)),
                "Qm7vT2xZp9Qm7vT2x",
            ),
            (
                "supabase-self-hosted",
                "DASHBOARD_PASSWORD",
                Box::new(|v: &str| alnum(v) && v.bytes().any(|b| b.is_ascii_alphabetic())),
                "83920174650192837465019283746501",
            ),
            (
                "supabase-self-hosted",
                "POSTGRES_PASSWORD",
                Box::new(|v: &str| alnum(v) && v.len() >= 32),
                "Qm7vT2xZp9",
            ),
            // rails secret: 128 characters, SecureRandom.hex(64).
            (
                "rails",
                "SECRET_KEY_BASE",
                Box::new(|v: &str| hex_of(64)(v) && v == v.to_ascii_lowercase()),
                "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
            ),
            (
                "mastodon",
                "OTP_SECRET",
                Box::new(hex_of(64)),
                "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
            ),
            // bin/rails db:encryption:init: SecureRandom.alphanumeric(32).
            (
                "mastodon",
                "ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY",
                Box::new(|v: &str| v.len() == 32 && alnum(v)),
                "Qm7vT2xZp9",
            ),
            (
                "mastodon",
                "ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY",
                Box::new(|v: &str| v.len() == 32 && alnum(v)),
                "Qm7vT2xZp9",
            ),
            (
                "mastodon",
                "ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT",
                Box::new(|v: &str| v.len() == 32 && alnum(v)),
                "Qm7vT2xZp9",
            ),
            // Laravel parseKey: base64: and 32 bytes for AES-256-CBC.
            (
                "laravel",
                "APP_KEY",
                Box::new(|v: &str| {
                    v.strip_prefix("base64:")
                        .and_then(|b| STANDARD.decode(b).ok())
                        .is_some_and(|k| k.len() == 32)
                }),
                "base64:c2hvcnQta2V5LW9mLTI0LWJ5dGVzLi4u",
            ),
            // Outline server/env.ts: @IsHexadecimal @Length(64, 64); for
            // UTILS_SECRET, any string, generated as `openssl rand -hex 32`.
            (
                "outline",
                "SECRET_KEY",
                Box::new(hex_of(32)),
                "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
            ),
            ("outline", "UTILS_SECRET", Box::new(hex_of(32)), "9f8e7d6c"),
            (
                "n8n",
                "N8N_ENCRYPTION_KEY",
                Box::new(at_least(32)),
                "Qm7vT2xZp9",
            ),
            // Paperless: a Django key (W009) as long as token_urlsafe(64).
            (
                "paperless",
                "PAPERLESS_SECRET_KEY",
                Box::new(|v: &str| v.len() == 86 && django_key_passes_w009(v)),
                "Qm7vT2xZp9Qm7vT2xZp9Qm7vT2xZp9",
            ),
            ("umami", "APP_SECRET", Box::new(at_least(32)), "Qm7vT2xZp9"),
            (
                "plane",
                "SECRET_KEY",
                Box::new(|v: &str| django_key_passes_w009(v)),
                "Qm7vT2xZp9Qm7vT2xZp9Qm7vT2xZp9",
            ),
            (
                "plane",
                "LIVE_SERVER_SECRET_KEY",
                Box::new(at_least(32)),
                "Qm7vT2xZp9",
            ),
            // Hoppscotch: exactly 32 characters, the raw aes-256-cbc key.
            (
                "hoppscotch",
                "DATA_ENCRYPTION_KEY",
                Box::new(|v: &str| v.len() == 32 && v.is_ascii()),
                "Qm7vT2xZp9Qm7vT2xZp9Qm7vT2xZp9Qm7",
            ),
            // Infisical: 16 bytes hex; 32 bytes base64.
            (
                "infisical",
                "ENCRYPTION_KEY",
                Box::new(hex_of(16)),
                "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0",
            ),
            (
                "infisical",
                "AUTH_SECRET",
                Box::new(|v: &str| {
                    v.len() == 44 && STANDARD.decode(v).is_ok_and(|k| k.len() == 32)
                }),
                "c2hvcnQta2V5LW9mLTI0LWJ5dGVzLi4u",
            ),
            // Formbricks crypto.ts: 64 hex digits for aes-256-gcm.
            (
                "formbricks",
                "ENCRYPTION_KEY",
                Box::new(hex_of(32)),
                "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
            ),
            (
                "formbricks",
                "NEXTAUTH_SECRET",
                Box::new(hex_of(32)),
                "9f8e7d6c",
            ),
            (
                "formbricks",
                "CRON_SECRET",
                Box::new(hex_of(32)),
                "9f8e7d6c",
            ),
            // docker-sentry: warns under 32; Django's W009.
            (
                "sentry",
                "SENTRY_SECRET_KEY",
                Box::new(|v: &str| v.len() >= 32 && django_key_passes_w009(v)),
                "Qm7vT2xZp9Qm7vT2xZp9Qm7vT2xZp9",
            ),
            (
                "nextauth",
                "NEXTAUTH_SECRET",
                Box::new(at_least(32)),
                "Qm7vT2xZp9",
            ),
            (
                "mysql",
                "MYSQL_ROOT_PASSWORD",
                Box::new(at_least(32)),
                "Qm7vT2xZp9",
            ),
            (
                "mariadb",
                "MARIADB_ROOT_PASSWORD",
                Box::new(at_least(32)),
                "Qm7vT2xZp9",
            ),
            (
                "rabbitmq",
                "RABBITMQ_DEFAULT_PASS",
                Box::new(at_least(32)),
                "Qm7vT2xZp9",
            ),
            // RabbitMQ clustering guide: alphanumeric, at most 255; 32 generated.
            (
                "rabbitmq",
                "RABBITMQ_ERLANG_COOKIE",
                Box::new(|v: &str| alnum(v) && (32..=255).contains(&v.len())),
                "Qm7vT2xZp9",
            ),
            // Meilisearch: at least 16 bytes.
            (
                "meilisearch",
                "MEILI_MASTER_KEY",
                Box::new(|v: &str| v.len() >= 16),
                "Qm7vT2xZp9",
            ),
            (
                "pterodactyl",
                "HASHIDS_SALT",
                Box::new(|v: &str| v.len() >= 20 && alnum(v)),
                "Qm7vT2xZp9",
            ),
        ];
        let mut rng = os_rng();
        for (component, key, rule, bad) in &rules {
            let s = stack(component);
            let Some(Source::Generate(kind)) = s.var(key).map(|v| &v.source) else {
                panic!("{component}.{key} is not generated");
            };
            for _ in 0..300 {
                let v = kind.generate(&mut rng);
                assert!(
                    rule(v.expose()),
                    "{component}.{key}: {} breaks the rule",
                    v.expose()
                );
                let found = format_findings(&s, key, v.expose());
                assert!(
                    found.is_empty(),
                    "{component}.{key}: check refuses a generated value: {found:?}"
                );
            }
            assert!(
                !rule(bad),
                "{component}.{key}: the breaking value meets the rule"
            );
            let found = format_findings(&s, key, bad);
            assert_eq!(
                found.len(),
                1,
                "{component}.{key}: check does not flag {bad}"
            );
        }
    }

    /// The names INDEX-style notes give as one value: equal after resolving.
    #[cfg(feature = "vapid")] // VAPID pairs need P-256 arithmetic
    #[test]
    fn aliases_resolve_to_one_value_and_distinct_secrets_differ() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            (
                "supabase-self-hosted",
                &[
                    ("GOTRUE_JWT_SECRET", "JWT_SECRET"),
                    ("PGRST_JWT_SECRET", "JWT_SECRET"),
                    ("PGRST_APP_SETTINGS_JWT_SECRET", "JWT_SECRET"),
                    ("API_JWT_SECRET", "JWT_SECRET"),
                    ("METRICS_JWT_SECRET", "JWT_SECRET"),
                    ("AUTH_JWT_SECRET", "JWT_SECRET"),
                ],
            ),
            (
                "n8n-hosting",
                &[
                    ("ENCRYPTION_KEY", "N8N_ENCRYPTION_KEY"),
                    ("RUNNERS_AUTH_TOKEN", "N8N_RUNNERS_AUTH_TOKEN"),
                    ("DB_POSTGRESDB_PASSWORD", "POSTGRES_NON_ROOT_PASSWORD"),
                ],
            ),
            ("nextauth", &[("AUTH_SECRET", "NEXTAUTH_SECRET")]),
            (
                "sentry",
                &[("SENTRY_SYSTEM_SECRET_KEY", "SENTRY_SECRET_KEY")],
            ),
        ];
        for (component, pairs) in cases {
            let r = stack(component)
                .resolve(&Existing::new(), &mut os_rng(), std::time::UNIX_EPOCH)
                .unwrap();
            for (alias, of) in *pairs {
                assert_eq!(
                    r.values[*alias].expose(),
                    r.values[*of].expose(),
                    "{component}: {alias}"
                );
            }
        }
        let differ: &[(&str, &str, &str)] = &[
            (
                "supabase-self-hosted",
                "LOGFLARE_PUBLIC_ACCESS_TOKEN",
                "LOGFLARE_PRIVATE_ACCESS_TOKEN",
            ),
            ("mastodon", "SECRET_KEY_BASE", "OTP_SECRET"),
            ("umami", "APP_SECRET", "POSTGRES_PASSWORD"),
        ];
        for (component, a, b) in differ {
            let r = stack(component)
                .resolve(&Existing::new(), &mut os_rng(), std::time::UNIX_EPOCH)
                .unwrap();
            assert_ne!(r.values[*a].expose(), r.values[*b].expose(), "{component}");
        }
        // The URLs carry the passwords their servers get.
        let r = stack("plane")
            .resolve(&Existing::new(), &mut os_rng(), std::time::UNIX_EPOCH)
            .unwrap();
        assert_eq!(
            r.values["AMQP_URL"].expose(),
            format!(
                "amqp://plane:{}@plane-mq:5672/plane",
                r.values["RABBITMQ_PASSWORD"].expose()
            )
        );
        let r = stack("umami")
            .resolve(&Existing::new(), &mut os_rng(), std::time::UNIX_EPOCH)
            .unwrap();
        assert_eq!(
            r.values["DATABASE_URL"].expose(),
            format!(
                "postgresql://umami:{}@db:5432/umami",
                r.values["POSTGRES_PASSWORD"].expose()
            )
        );
    }

    #[cfg(feature = "check")]
    /// check's SC009 flags the two Logflare tokens when they are equal (the
    /// Supabase template: "these cannot be the same value").
    #[test]
    fn equal_logflare_tokens_are_flagged() {
        let s = stack("supabase-self-hosted");
        let v = Kind::Password {
            length: 32,
            alphabet: crate::generate::Alphabet::Alphanumeric,
        }
        .generate(&mut os_rng());
        let text = format!(
            "LOGFLARE_PUBLIC_ACCESS_TOKEN={0}\nLOGFLARE_PRIVATE_ACCESS_TOKEN={0}\n",
            v.expose()
        );
        let doc = Document::parse(text.as_bytes()).unwrap();
        let cx = EnvContext {
            path: std::path::Path::new(".env"),
            doc: &doc,
            stack: Some(&s),
            example: None,
            example_path: None,
            now: std::time::UNIX_EPOCH,
        };
        let reused: Vec<_> = check_env(&cx)
            .into_iter()
            .filter(|f| f.rule == RuleId::ReusedValue)
            .collect();
        assert_eq!(reused.len(), 1);
    }
}

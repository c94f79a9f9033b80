//! The built-in catalog: one component per upstream image, embedded in the
//! binary, with the variable names those images read.

use super::{ManifestError, ManifestFile};

/// Component names and their TOML sources, in the order `secrets catalog`
/// lists them.
const SOURCES: &[(&str, &str)] = &[
    ("postgres", include_str!("../../catalog/postgres.toml")),
    ("jwt", include_str!("../../catalog/jwt.toml")),
    ("postgrest", include_str!("../../catalog/postgrest.toml")),
    ("hasura", include_str!("../../catalog/hasura.toml")),
    ("supabase", include_str!("../../catalog/supabase.toml")),
    ("minio", include_str!("../../catalog/minio.toml")),
    ("imgproxy", include_str!("../../catalog/imgproxy.toml")),
    ("pgcat", include_str!("../../catalog/pgcat.toml")),
    ("grafana", include_str!("../../catalog/grafana.toml")),
    ("pgadmin", include_str!("../../catalog/pgadmin.toml")),
    (
        "supertokens",
        include_str!("../../catalog/supertokens.toml"),
    ),
    ("redis", include_str!("../../catalog/redis.toml")),
    ("mongodb", include_str!("../../catalog/mongodb.toml")),
    ("django", include_str!("../../catalog/django.toml")),
    ("web-push", include_str!("../../catalog/web-push.toml")),
];

/// The names of every component.
pub fn component_names() -> impl Iterator<Item = &'static str> {
    SOURCES.iter().map(|(n, _)| *n)
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

#[cfg(test)]
mod tests {
    use super::*;

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
}

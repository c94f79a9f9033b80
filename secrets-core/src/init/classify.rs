//! Deciding what each variable of a template is, and saying why.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};

use super::compose::{self, ComposeReads, Service};
use super::hints::{self, Length};
use super::names::{self, SecretRole};
use super::scan::TemplateVar;
use super::url::{self, Candidate, NameTest, Verdict};
use super::{Class, Entry};
use crate::generate::{Alphabet, Derivation, Kind};
use crate::manifest::{catalog, Escape, Source, Template, VarDef};
use crate::rotate::class::RotationClass;
use crate::rotate::infer::infer;

/// A kind in a few words, with its size.
fn describe(kind: &Kind) -> String {
    match kind {
        Kind::RawKey { length, alphabet } => {
            format!("raw key, exactly {length} {} characters", alphabet.name())
        }
        Kind::LaravelKey => "Laravel key, base64: and 32 bytes".to_owned(),
        other => crate::rotate::infer::describe(other),
    }
}

/// Catalog names many stacks use for their own purposes: a component
/// defines one of these for a template only when the template shares at
/// least two and half of that component's names.
const GENERIC_NAMES: &[&str] = &[
    "AMQP_URL",
    "API_KEY",
    "API_KEYS",
    "APP_SECRET",
    "AUTH_SECRET",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "CRON_SECRET",
    "DATABASE_URL",
    "DB_PASS",
    "DB_PASSWORD",
    "ENCRYPTION_KEY",
    "JWT_SECRET",
    "MASTER_KEY",
    "PGDATABASE",
    "PGHOST",
    "POSTGRES_DB",
    "POSTGRES_PASSWORD",
    "POSTGRES_USER",
    "RABBITMQ_HOST",
    "RABBITMQ_PASSWORD",
    "RABBITMQ_PORT",
    "RABBITMQ_USER",
    "RABBITMQ_VHOST",
    "REDIS_PASSWORD",
    "REDIS_URL",
    "SECRET",
    "SECRET_KEY",
    "TOKEN",
];

/// The catalog, each component with the variables of what it includes.
struct CatalogIndex {
    components: Vec<(String, Vec<VarDef>)>,
    /// For each variable name, the components defining it (in catalog
    /// order) and where in their list.
    defining: HashMap<String, Vec<(usize, usize)>>,
    /// For each component, how many of its names the template has.
    shared: Vec<usize>,
}

/// A component's variables and those of its includes, recursively.
fn expanded(name: &str, seen: &mut Vec<String>, out: &mut Vec<VarDef>) {
    if seen.iter().any(|s| s == name) {
        return;
    }
    seen.push(name.to_owned());
    let Some(Ok(file)) = catalog::component(name) else {
        return;
    };
    for (inc, _) in &file.include {
        expanded(inc, seen, out);
    }
    for v in file.vars {
        if !out.iter().any(|o| o.name == v.name) {
            out.push(v);
        }
    }
}

impl CatalogIndex {
    /// The catalog, with what the template's names (`present`) share with
    /// each component.
    fn load(present: &HashSet<&str>) -> Self {
        let components: Vec<(String, Vec<VarDef>)> = catalog::component_names()
            .map(|n| {
                let mut vars = Vec::new();
                expanded(n, &mut Vec::new(), &mut vars);
                (n.to_owned(), vars)
            })
            .collect();
        let mut defining: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
        for (c, (_, vars)) in components.iter().enumerate() {
            for (i, v) in vars.iter().enumerate() {
                defining.entry(v.name.clone()).or_default().push((c, i));
            }
        }
        let shared = (components.iter())
            .map(|(_, vars)| {
                vars.iter()
                    .filter(|v| present.contains(v.name.as_str()))
                    .count()
            })
            .collect();
        CatalogIndex {
            components,
            defining,
            shared,
        }
    }

    /// The definition of `name` in the named component (with its includes).
    fn in_component(&self, component: &str, name: &str) -> Option<&VarDef> {
        let (_, vars) = self.components.iter().find(|(c, _)| c == component)?;
        vars.iter().find(|v| v.name == name)
    }

    /// The definition of `name` in the component that shares the most
    /// names with the template (the first listed on a tie). A generic name
    /// needs the component to match: two names and half of its own.
    fn find(&self, name: &str) -> Option<(&str, &VarDef)> {
        let generic = GENERIC_NAMES.contains(&name);
        self.defining
            .get(name)?
            .iter()
            .filter_map(|&(at, i)| {
                let (c, vars) = &self.components[at];
                let def = &vars[i];
                let shared = self.shared[at];
                let matched = shared >= 2 && shared * 2 >= vars.len();
                (matched || !generic).then_some((c.as_str(), def, shared))
            })
            .rev()
            .max_by_key(|(_, _, shared)| *shared)
            .map(|(c, def, _)| (c, def))
    }
}

/// Everything a variable is judged against.
pub(crate) struct Context<'a> {
    vars: &'a [TemplateVar],
    /// Variables the stack will have: the active ones and those added from
    /// the compose files.
    active: HashSet<&'a str>,
    present: HashSet<&'a str>,
    catalog: CatalogIndex,
    compose: Option<&'a ComposeReads>,
    /// A MinIO is part of the stack (its root credential may look like S3's).
    minio: bool,
    /// Where each of `vars` is, by name (names are unique in a template).
    by_name: HashMap<&'a str, usize>,
    /// Which of `vars` hold each value, in file order.
    by_value: HashMap<&'a str, Vec<usize>>,
    /// The compose files' passes (`KEY: ${OTHER}`), by KEY, in order.
    passes: HashMap<&'a str, Vec<usize>>,
    /// The compose services.
    services: &'a [Service],
    /// For each variable, the services given it: (service, the container
    /// variable it becomes when passed whole).
    consumers: HashMap<&'a str, Vec<(usize, Option<&'a str>)>>,
    /// The origins of the stack's own program (see `app_origins`), found
    /// once rather than per variable.
    app: Vec<String>,
    /// The services running Redis, in order, and every service's name as a
    /// variable's first part (`my-cache` as `MY_CACHE`): found once rather
    /// than per variable.
    redis: Vec<usize>,
    service_names: HashSet<String>,
    /// The first variables whose names pass a test, found once each.
    firsts: RefCell<HashMap<Test, Firsts>>,
}

/// What a variable other than the one decided is looked for as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Test {
    /// A part of a connection URL.
    Url(NameTest),
    /// `JWT_SECRET` or `*_JWT_SECRET`.
    JwtSecret,
    /// A VAPID private key.
    VapidPrivate,
}

impl Test {
    fn passes(self, name: &str) -> bool {
        match self {
            Test::Url(t) => t.passes(name),
            Test::JwtSecret => name == "JWT_SECRET" || name.ends_with("_JWT_SECRET"),
            Test::VapidPrivate => {
                let u = name.to_ascii_uppercase();
                u.contains("VAPID") && u.contains("PRIVATE")
            }
        }
    }
}

/// The first two of the template's variables passing a test, among all
/// and among the active ones: the first a variable may refer to is one of
/// them (it may not refer to itself).
#[derive(Debug, Clone, Copy)]
struct Firsts {
    all: [Option<usize>; 2],
    active: [Option<usize>; 2],
}

/// Whether a value is a placeholder or a published example rather than a
/// value someone chose.
pub(crate) fn looks_like_placeholder(name: &str, value: &str) -> bool {
    crate::check::published_default(value.trim()).is_some() || placeholder_text(name, value)
}

/// Whether a value is words standing for a value (`change-me`,
/// `your-key-here`), rather than a sample whose shape says something.
fn placeholder_text(name: &str, value: &str) -> bool {
    let v = value.trim();
    let lower = v.to_ascii_lowercase();
    let mut distinct: Vec<char> = lower.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    crate::check::is_placeholder(v)
        || lower == name.to_ascii_lowercase()
        || v.contains(char::is_whitespace)
        || distinct.len() < 4
        || [
            "change",
            "replace",
            "your",
            "secret",
            "passw",
            "key",
            "token",
            "example",
            "sample",
            "dummy",
            "fake",
            "test",
            "insecure",
            "generate",
            "random",
            "default",
            "demo",
            "placeholder",
            "here",
            "xxx",
            "todo",
            "fill",
            "set_",
            "set-",
            "put_",
            "<",
            ">",
        ]
        .iter()
        .any(|w| lower.contains(w))
}

/// A value that names something (`'user'`, `nickname`) rather than keys it.
fn word_like(value: &str) -> bool {
    let v = value.trim();
    (1..=24).contains(&v.len())
        && v.starts_with(|c: char| c.is_ascii_alphabetic())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.:-".contains(c))
        && !v.chars().any(|c| c.is_ascii_digit())
}

/// A kind, and the words that say why.
type Format = (Kind, String);

/// What a variable was found to be.
struct Decision {
    class: Class,
    /// A `Literal`'s text is the template's value, filled in at the end.
    source: Source,
    why: String,
    uncertain: Option<String>,
    /// The catalog definition it follows.
    catalog: Option<VarDef>,
    /// What rotating it takes, when something says.
    rotation: Option<RotationClass>,
    /// The bundled service that runs without a password, for a value
    /// kept empty because of it.
    no_auth: Option<String>,
}

impl Decision {
    fn new(class: Class, source: Source, why: impl Into<String>) -> Self {
        Decision {
            class,
            source,
            why: why.into(),
            uncertain: None,
            catalog: None,
            rotation: None,
            no_auth: None,
        }
    }

    /// A value kept as the template writes it.
    fn setting() -> Self {
        Decision::new(
            Class::Setting,
            Source::Literal(String::new()),
            "kept as written",
        )
    }

    fn uncertain(mut self, why: impl Into<String>) -> Self {
        self.uncertain = Some(why.into());
        self
    }

    /// Adds a guess to what is already uncertain.
    fn also_uncertain(mut self, why: &str) -> Self {
        self.uncertain = Some(match self.uncertain.take() {
            Some(u) => format!("{u}; {why}"),
            None => why.to_owned(),
        });
        self
    }
}

/// The origins of the stack's own program: what reads the template whole
/// or is built here, else the service given the most variables.
fn app_origins(services: &[Service]) -> Vec<String> {
    #[cfg(test)]
    APP_SCANNED.with(|n| n.set(n.get() + services.len()));
    let mut app: Vec<String> = (services.iter())
        .filter(|s| s.env_file || s.build)
        .map(compose::origin)
        .collect();
    if app.is_empty() {
        // The first on a tie: the app is usually listed first.
        app.extend(
            (services.iter().rev())
                .max_by_key(|s| s.reads.len())
                .map(compose::origin),
        );
    }
    app
}

#[cfg(test)]
thread_local! {
    /// Services `app_origins` has looked at on this thread.
    pub(super) static APP_SCANNED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

impl<'a> Context<'a> {
    pub(crate) fn new(
        vars: &'a [TemplateVar],
        added: &'a [TemplateVar],
        compose: Option<&'a ComposeReads>,
    ) -> Self {
        let active = vars
            .iter()
            .chain(added)
            .filter(|v| !v.commented)
            .map(|v| v.name.as_str())
            .collect();
        let present = vars.iter().chain(added).map(|v| v.name.as_str()).collect();
        let minio = vars.iter().any(|o| {
            o.name.to_ascii_uppercase().contains("MINIO")
                || o.value.to_ascii_lowercase().contains("minio")
        });
        let by_name = (vars.iter().enumerate())
            .map(|(i, o)| (o.name.as_str(), i))
            .collect();
        let mut by_value: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, o) in vars.iter().enumerate() {
            by_value.entry(o.value.as_str()).or_default().push(i);
        }
        let mut passes: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, (key, _, _)) in compose.iter().flat_map(|c| &c.passes).enumerate() {
            passes.entry(key.as_str()).or_default().push(i);
        }
        let catalog = CatalogIndex::load(&present);
        let services = compose.map_or(&[][..], |c| &c.services[..]);
        let mut consumers: HashMap<&str, Vec<(usize, Option<&str>)>> = HashMap::new();
        for (i, svc) in services.iter().enumerate() {
            // A known server reading the template whole (`env_file:`) is
            // given each variable its catalog entry names.
            let component = svc.image_base().and_then(|b| compose::component_of(&b));
            if let (true, Some(component)) = (svc.env_file, component) {
                for o in vars.iter().filter(|o| !o.commented) {
                    if catalog.in_component(component, &o.name).is_some() {
                        consumers
                            .entry(o.name.as_str())
                            .or_default()
                            .push((i, None));
                    }
                }
            }
            for (var, key, _) in &svc.reads {
                let list = consumers.entry(var.as_str()).or_default();
                let key = key.as_deref();
                if !list.contains(&(i, key)) {
                    list.push((i, key));
                }
            }
        }
        Context {
            app: app_origins(services),
            redis: (services.iter().enumerate())
                .filter(|(_, s)| {
                    s.image_base().and_then(|b| compose::component_of(&b)) == Some("redis")
                })
                .map(|(i, _)| i)
                .collect(),
            service_names: (services.iter())
                .map(|s| s.name.to_ascii_uppercase().replace('-', "_"))
                .collect(),
            services,
            consumers,
            minio,
            vars,
            catalog,
            active,
            present,
            compose,
            by_name,
            by_value,
            passes,
            firsts: RefCell::new(HashMap::new()),
        }
    }

    /// The first variable, in file order, that `v` may refer to and whose
    /// name passes `test`.
    fn first(&self, v: &TemplateVar, test: Test) -> Option<&'a TemplateVar> {
        let firsts = *self.firsts.borrow_mut().entry(test).or_insert_with(|| {
            let mut f = Firsts {
                all: [None; 2],
                active: [None; 2],
            };
            let put = |slots: &mut [Option<usize>; 2], i| {
                if let Some(slot) = slots.iter_mut().find(|s| s.is_none()) {
                    *slot = Some(i);
                }
            };
            for (i, o) in self.vars.iter().enumerate() {
                if f.active[1].is_some() {
                    break;
                }
                if test.passes(&o.name) {
                    put(&mut f.all, i);
                    if !o.commented {
                        put(&mut f.active, i);
                    }
                }
            }
            f
        });
        let slots = if v.commented {
            firsts.all
        } else {
            firsts.active
        };
        (slots.into_iter().flatten())
            .map(|i| &self.vars[i])
            .find(|o| self.can_refer(v, &o.name))
    }

    /// Whether `name` may be referred to from `v`: an active variable may
    /// refer only to what the stack will have.
    fn can_refer(&self, v: &TemplateVar, name: &str) -> bool {
        name != v.name
            && if v.commented {
                self.present.contains(name)
            } else {
                self.active.contains(name)
            }
    }

    /// The value to judge: the template's, or for an empty one, the
    /// default a compose file gives it (`${DATABASE_URL:-postgresql://...}`).
    fn effective_value(&self, v: &'a TemplateVar) -> (String, Option<String>) {
        if v.value.is_empty() {
            if let Some(read) = self
                .compose
                .and_then(|c| c.vars.get(&v.name))
                .filter(|r| r.default.as_deref().is_some_and(|d| !d.is_empty()))
            {
                return (
                    read.default.clone().unwrap_or_default(),
                    Some(format!("the default in {} line {}", read.file, read.line)),
                );
            }
        }
        (v.value.clone(), None)
    }

    /// What `v`'s URL may be built from.
    fn candidates<'c>(&'c self, v: &'c TemplateVar) -> Referable<'c, 'a> {
        Referable { cx: self, v }
    }

    /// Decides one variable.
    pub(crate) fn classify(&self, v: &'a TemplateVar) -> Entry {
        let mut d = self.decide(v);
        if d.rotation.is_none() {
            d.rotation = (d.catalog.as_ref())
                .and_then(|c| c.rotation.as_ref())
                .map(|r| r.class);
        }
        let d = self.rotation_by_name(v, d);
        let source = match d.source {
            // A setting keeps the template's value exactly.
            Source::Literal(_) => Source::Literal(v.value.clone()),
            s => s,
        };
        Entry {
            name: v.name.clone(),
            line: (v.line > 0).then_some(v.line),
            commented: v.commented,
            class: d.class,
            source,
            why: d.why,
            uncertain: d.uncertain,
            catalog: d.catalog,
            rotation: d.rotation,
            runs_without_auth: d.no_auth,
            required: false,
        }
    }

    fn decide(&self, v: &'a TemplateVar) -> Decision {
        if v.interpolates && super::interp::has_reference(&v.value) {
            return self.interpolated(v);
        }
        if let Some(found) = self.no_password(v) {
            return found;
        }
        // What the compose files do with the value comes before the
        // catalog and the name: it is what the stack itself does.
        if let Some(found) = self.compose_alias(v) {
            return found;
        }
        if let Some(found) = self.bundled(v) {
            return found;
        }
        if let Some(found) = self.no_auth(v) {
            return found;
        }
        if let Some(found) = self.by_catalog(v, false) {
            return found;
        }
        if let Some(found) = self.alias(v) {
            return found;
        }
        let (value, value_from) = self.effective_value(v);
        if let Some(found) = self.by_value(v, &value, value_from.as_deref()) {
            return found;
        }
        if let Some(why) = names::external(&v.name, &value) {
            let d = Decision::new(
                Class::External,
                Source::External,
                format!("{why}, from the name"),
            );
            return match self.bundled_store(v) {
                Some(u) => d.uncertain(u),
                None => d,
            };
        }
        if let Some(found) = self.beside_provider(v) {
            return found;
        }
        if let Some(found) = self.vapid_public(v) {
            return found;
        }
        if let Some(found) = self.secret(v) {
            return found;
        }
        if let Some(found) = self.by_catalog(v, true) {
            return found;
        }
        if let Some(found) = self.placeholder_setting(v) {
            return found;
        }
        Decision::setting()
    }

    /// A value built with `${OTHER}`: a template of the manifest when
    /// every reference is a variable the stack has.
    fn interpolated(&self, v: &TemplateVar) -> Decision {
        let Some(text) = super::interp::to_manifest_template(&v.value) else {
            return Decision::setting().uncertain(
                "a `${VAR:-default}` a manifest template cannot express: kept as written",
            );
        };
        let inferred = Escape::infer(&text);
        // A URL with credentials percent-encodes what it interpolates; a
        // host or path (`http://${APP_DOMAIN}`) is inserted as is.
        let escape = if inferred == Escape::Url && !text.contains('@') {
            Escape::None
        } else {
            inferred
        };
        let template = Template::parse(&text, escape).expect("built from parsed pieces");
        if let Some(missing) = template.references().find(|r| !self.can_refer(v, r)) {
            return Decision::setting().uncertain(format!(
                "refers to {missing}, which the template does not set: kept as written"
            ));
        }
        let inputs: Vec<&str> = template.references().collect();
        let why = format!(
            "template of {}, from the `${{...}}` on line {}",
            inputs.join(", "),
            v.line
        );
        Decision::new(Class::Derived, Source::Template(template), why)
    }

    /// The catalog's definition, when it can stand in this template; a URL
    /// only after the template's own (`late`).
    fn by_catalog(&self, v: &TemplateVar, late: bool) -> Option<Decision> {
        let (component, def) = self.catalog.find(&v.name)?;
        // A catalog URL assumes its own host names: the template's URL, or
        // one built from its own variables, comes first.
        let url = matches!(def.source, Source::Template(_));
        if url != late {
            return None;
        }
        let why = format!("from the catalog ({component})");
        let d = match &def.source {
            // The template's own words on the format beat the catalog's.
            Source::Generate(_) if self.stated_kind(v, true).is_some() => {
                let (kind, stated) = self.stated_kind(v, true).expect("just found");
                Decision::new(
                    Class::Secret,
                    Source::Generate(kind),
                    format!("{stated} (over the catalog's format); {why}"),
                )
            }
            Source::Generate(kind) => Decision::new(
                Class::Secret,
                def.source.clone(),
                format!("{}, {why}", describe(kind)),
            ),
            Source::External => Decision::new(Class::External, Source::External, why),
            s @ (Source::Derive { .. } | Source::SameAs(_) | Source::Template(_))
                if s.inputs().iter().all(|i| self.can_refer(v, i)) =>
            {
                // A URL the template spells with its own host keeps its own shape.
                if url && !v.value.is_empty() {
                    return None;
                }
                let why = format!("computed from {}, {why}", s.inputs().join(", "));
                let d = Decision::new(Class::Derived, s.clone(), why);
                if url {
                    d.uncertain("empty in the template: the catalog's URL, whose host may not be this stack's")
                } else {
                    d
                }
            }
            _ => return None,
        };
        Some(Decision {
            catalog: Some(def.clone()),
            ..d
        })
    }

    /// `same_as` only where something proves the consumer needs one value:
    /// the template's words ("Should be the same as WEBAPP_URL"), a compose
    /// file passing one variable as the other, or the name (`PGRST_JWT_SECRET`
    /// for `JWT_SECRET`). Equal placeholders prove nothing.
    fn alias(&self, v: &TemplateVar) -> Option<Decision> {
        let is_name = |n: &str| self.by_name.contains_key(n) && self.can_refer(v, n);
        for c in v.comments.iter().filter(|c| c.direct) {
            if let Some(other) = hints::same_as(&c.text, is_name) {
                return Some(same_as(
                    other,
                    format!("from \"same as\" on line {}", c.line),
                ));
            }
        }
        // A name ending in `_` and another's name (which has a `_` too),
        // with the same value: the first such in the file. Looked up by
        // each suffix of the name rather than compared with every variable.
        if v.value.is_empty() {
            return None;
        }
        let other = (v.name.bytes().enumerate())
            .filter(|&(i, b)| b == b'_' && i + 1 < v.name.len())
            .filter_map(|(i, _)| self.by_name.get(&v.name[i + 1..]))
            .map(|&i| (i, &self.vars[i]))
            .filter(|(_, o)| {
                v.value == o.value
                    && o.name.contains('_')
                    && self.can_refer(v, &o.name)
                    && names::secret_role(&o.name).is_some()
            })
            .min_by_key(|&(i, _)| i)
            .map(|(_, o)| o)?;
        let why = format!(
            "from the name ({} is {} for another service)",
            v.name, other.name
        );
        Some(same_as(other.name.clone(), why))
    }

    /// `same_as` that a compose file proves: it passes `${OTHER}` to a
    /// service under this variable's name (`MYSQL_PASSWORD: ${DB_PASSWORD}`),
    /// so the two must hold one value whatever the catalog says of each.
    fn compose_alias(&self, v: &TemplateVar) -> Option<Decision> {
        let passes = self.compose.map_or(&[][..], |c| &c.passes[..]);
        let (_, other, read) = (self.passes.get(v.name.as_str()).into_iter().flatten())
            .map(|&i| &passes[i])
            .find(|(_, other, _)| self.can_refer(v, other))?;
        let why = format!(
            "{} line {} passes ${{{other}}} as {}",
            read.file, read.line, v.name
        );
        Some(same_as(other.clone(), why))
    }

    /// A value the compose file hands to a server the stack runs: a
    /// published image whose catalog entry generates that variable (the
    /// format and rotation class that image needs), or a secret-named
    /// value given to programs of two origins (both ends of the
    /// credential run in this stack, so nobody else issues it).
    fn bundled(&self, v: &TemplateVar) -> Option<Decision> {
        let consumers = self.consumers.get(v.name.as_str())?;
        for &(at, key) in consumers {
            let svc = &self.services[at];
            let Some(component) = svc.image_base().and_then(|b| compose::component_of(&b)) else {
                continue;
            };
            let key = key.unwrap_or(&v.name);
            let Some(def) = self
                .catalog
                .in_component(component, key)
                .filter(|d| matches!(d.source, Source::Generate(_)))
            else {
                continue;
            };
            let given = format!(
                "compose hands it to service {} ({}, {} line {}) as {key}",
                svc.name,
                svc.runs(),
                svc.file,
                svc.line
            );
            let (source, why) = match self.stated_kind(v, true) {
                Some((kind, stated)) => (Source::Generate(kind), format!("{stated}; {given}")),
                None => (
                    def.source.clone(),
                    format!(
                        "{}, the format catalog {component} gives {key}; {given}",
                        match &def.source {
                            Source::Generate(k) => describe(k),
                            _ => unreachable!("filtered"),
                        }
                    ),
                ),
            };
            let mut d = Decision::new(Class::Secret, source, why);
            d.rotation = def.rotation.as_ref().map(|r| r.class);
            d.catalog = Some(def.clone());
            return Some(d);
        }
        let secret_named = names::secret_role(&v.name).is_some()
            || consumers
                .iter()
                .any(|(_, k)| k.is_some_and(|k| names::secret_role(k).is_some()));
        let mut origins: Vec<(String, &Service)> = consumers
            .iter()
            .map(|&(at, _)| (compose::origin(&self.services[at]), &self.services[at]))
            .collect();
        origins.sort_by(|a, b| a.0.cmp(&b.0));
        origins.dedup_by(|a, b| a.0 == b.0);
        let app = &self.app;
        // One server of another origin given a value whose name names no
        // provider: the server it keys runs here.
        let server = origins.len() == 1 && !app.is_empty() && !app.contains(&origins[0].0);
        let server_only = server && names::external(&v.name, &v.value).is_none();
        if origins.len() < 2 && !server {
            return None;
        }
        let given: Vec<String> = origins
            .iter()
            .map(|(_, s)| format!("{} ({})", s.name, s.runs()))
            .collect();
        if !secret_named {
            // An account both ends share (`PUSHER_APP_ID` given to a
            // bundled server): the stack's own choice, not a provider's.
            let value = v.value.trim();
            let provider = names::external(&v.name, value).is_some();
            if !provider || value.is_empty() || looks_like_placeholder(&v.name, value) {
                return None;
            }
            let why = format!(
                "kept as written: compose hands it to {}, so no provider issues it",
                given.join(" and ")
            );
            return Some(Decision {
                why,
                ..Decision::setting()
            });
        }
        if origins.len() < 2 && !server_only {
            return None;
        }
        let value = v.value.trim();
        let placeholder = value.is_empty() || looks_like_placeholder(&v.name, value);
        let (kind, why, _) = self.secret_kind(v, names::secret_role(&v.name), placeholder);
        let why = if server_only {
            format!(
                "{why}; compose hands it to {}, a server this stack runs",
                given.join("")
            )
        } else {
            format!(
                "{why}; compose hands it to {}: both ends run in this stack",
                given.join(" and ")
            )
        };
        Some(Decision::new(Class::Secret, Source::Generate(kind), why))
    }

    /// An empty password for a bundled Redis that the compose file runs
    /// without one (no `requirepass`, and the value never reaches it):
    /// generating one would make its clients send AUTH to a server that
    /// has no password, and fail. Kept empty.
    fn no_auth(&self, v: &TemplateVar) -> Option<Decision> {
        let compose = self.compose?;
        if !v.value.trim().is_empty() || names::secret_role(&v.name).is_none() {
            return None;
        }
        if (compose.vars.get(&v.name))
            .and_then(|r| r.default.as_deref())
            .is_some_and(|d| !d.is_empty())
        {
            return None;
        }
        let family = names::first_part(&v.name);
        let server = (self.redis.iter())
            .map(|&i| (i, &self.services[i]))
            .find(|(_, s)| {
                ["REDIS", "VALKEY", "KEYDB", "CACHE"].contains(&family.as_str())
                    || s.name.to_ascii_uppercase() == family
            });
        let (at, server) = server?;
        let given =
            (self.consumers.get(v.name.as_str()).into_iter().flatten()).any(|(i, _)| *i == at);
        if server.requirepass || given {
            return None;
        }
        let mut d = Decision::setting();
        d.why = format!(
            "kept empty: compose runs service {} ({}) without a password (no `requirepass`), so its clients must send none; give the server one to turn auth on",
            server.name,
            server.runs()
        );
        d.no_auth = Some(server.name.clone());
        Some(d)
    }

    /// A credential no service of the stack is given (that was decided
    /// before) beside its provider's account: `FOO_APP_SECRET` next to an
    /// empty `FOO_APP_ID`, `PROXY_PASSWORD` next to an empty
    /// `PROXY_USERNAME`; or an empty API key in a paragraph of
    /// integrations. The operator's, never invented.
    fn beside_provider(&self, v: &TemplateVar) -> Option<Decision> {
        names::secret_role(&v.name)?;
        let value = v.value.trim();
        if !(value.is_empty() || looks_like_placeholder(&v.name, value)) {
            return None;
        }
        let upper = v.name.to_ascii_uppercase();
        let (prefix, _) = upper.rsplit_once('_')?;
        let family = names::first_part(&v.name);
        let own = [
            "DB",
            "DATABASE",
            "POSTGRES",
            "PG",
            "POSTGRESQL",
            "MYSQL",
            "MARIADB",
            "MONGO",
            "MONGODB",
            "REDIS",
            "RABBITMQ",
            "AMQP",
            "MINIO",
            "ADMIN",
            "ROOT",
            "APP",
            "SECRET",
            "JWT",
            "SESSION",
            "COOKIE",
            "ENCRYPTION",
            "DASHBOARD",
            "SUPERUSER",
        ];
        let stack_service = self.service_names.contains(&family);
        if own.contains(&family.as_str()) || stack_service {
            return None;
        }
        let empty_or_placeholder = |n: &str| {
            self.by_name.get(n).is_some_and(|&i| {
                let o = &self.vars[i];
                o.value.trim().is_empty() || looks_like_placeholder(&o.name, &o.value)
            })
        };
        let account = [
            "ID",
            "APP_ID",
            "CLIENT_ID",
            "USER",
            "USERNAME",
            "LOGIN",
            "ACCOUNT",
            "ACCOUNT_ID",
            "KEY_ID",
            "ACCESS_KEY_ID",
            "EMAIL",
        ];
        let stems = [
            Some(prefix),
            prefix.strip_suffix("_API"),
            prefix.strip_suffix("_APP"),
        ];
        for stem in stems.into_iter().flatten() {
            for a in account {
                let sibling = format!("{stem}_{a}");
                if sibling != upper && empty_or_placeholder(&sibling) && self.can_refer(v, &sibling)
                {
                    let why = format!(
                        "beside {sibling}, which the template leaves for the operator: an account with a provider"
                    );
                    return Some(
                        Decision::new(Class::External, Source::External, why).uncertain(
                            "no service of the stack is given it and the name pairs it with an account: left for you; make it a secret if the stack issues it itself",
                        ),
                    );
                }
            }
        }
        // An API key in a paragraph of integrations.
        let api = [
            "API_KEY",
            "API_TOKEN",
            "API_SECRET",
            "ACCESS_TOKEN",
            "ACCESS_KEY",
        ]
        .iter()
        .any(|p| upper.ends_with(p));
        if !api || !value.is_empty() {
            return None;
        }
        let words = [
            "integration",
            "third-party",
            "third party",
            "optional",
            "provider",
            "sign up",
            "signup",
            "obtain",
            "get your",
            "get one",
            "api key from",
            "dashboard",
            "console",
        ];
        let worded = v.comments.iter().find(|c| {
            let t = c.text.to_ascii_lowercase();
            words.iter().any(|w| t.contains(w))
        });
        // A third party's variable in the paragraph, or an empty account
        // of the same family (`CHARGEBEE_WEBHOOK_USERNAME=`).
        let account_ends = ["_ID", "_USER", "_USERNAME", "_ACCOUNT", "_SITE", "_LOGIN"];
        let neighbour = self.vars.iter().find(|o| {
            o.paragraph == v.paragraph
                && o.name != v.name
                && (names::external(&o.name, &o.value).is_some()
                    || (names::first_part(&o.name) == family
                        && o.value.trim().is_empty()
                        && (account_ends.iter()).any(|e| o.name.to_ascii_uppercase().ends_with(e))))
        });
        let why = match (worded, neighbour) {
            (Some(c), _) => format!(
                "an API key under \"{}\" (line {}): an integration's",
                c.text, c.line
            ),
            (None, Some(o)) => format!(
                "an API key in the paragraph of {}, a third party's: an integration's",
                o.name
            ),
            (None, None) => return None,
        };
        Some(Decision::new(Class::External, Source::External, why).uncertain(
            "empty, in a paragraph of integrations, and no service of the stack is given it: left for you (the integration is off while it is empty)",
        ))
    }

    /// A placeholder under a name that says nothing (`INVITE_CODE=PLEASE
    /// CHANGE ME`, a published demo value): never kept as a setting.
    fn placeholder_setting(&self, v: &TemplateVar) -> Option<Decision> {
        let value = v.value.trim();
        let lower = value.to_ascii_lowercase();
        let upper = v.name.to_ascii_uppercase();
        let last = upper.rsplit('_').next().unwrap_or(&upper);
        // Hosts, URLs, addresses and names the operator edits stay.
        let setting_name = [
            "URL", "URI", "HOST", "HOSTNAME", "DOMAIN", "EMAIL", "NAME", "USER", "USERNAME",
            "PATH", "DIR", "FILE", "PORT", "MODE", "TYPE", "LEVEL", "REGION", "BUCKET", "ID",
            "IDS", "ORIGIN", "ORIGINS", "ENDPOINT", "SERVER", "ADDRESS", "LOCALE", "LANG", "TITLE",
            "LABEL", "TIMEZONE", "TZ", "IMAGE", "VERSION", "TAG", "FROM", "SENDER",
        ]
        .contains(&last);
        let looks_like_address = value.contains(['.', '/', '@', ':']);
        let published = crate::check::published_default(value).is_some();
        let worded = [
            "change me",
            "please change",
            "changeme",
            "change_me",
            "change-me",
            "replace me",
            "replace-me",
            "replace_me",
        ]
        .iter()
        .any(|w| lower.contains(w))
            || (lower.starts_with("your") && value.contains(['-', '_', ' ']));
        let plain_word = [
            "none", "null", "admin", "default", "test", "true", "false", "xxx",
        ]
        .contains(&lower.as_str());
        // `your_path_here` under a path's name: the operator's to set.
        let operators = worded || (lower.contains("your") && value.contains(['-', '_']));
        if !value.is_empty()
            && !published
            && operators
            && (setting_name || looks_like_address || last == "LOCATION")
        {
            return Some(Decision::setting().uncertain(
                "the template's value is a placeholder for something of yours (a path, a host, a name): kept, set it",
            ));
        }
        if value.is_empty()
            || plain_word
            || setting_name
            || (looks_like_address && !published)
            || !(published || worded)
        {
            return None;
        }
        let kind = Kind::Password {
            length: 32,
            alphabet: Alphabet::Alphanumeric,
        };
        let what = if published {
            "a published demo value"
        } else {
            "a placeholder"
        };
        let why = format!("{}, because the template holds {what}", describe(&kind));
        Some(
            Decision::new(Class::Secret, Source::Generate(kind), why).uncertain(format!(
                "{what} under a name that does not say what it is: generated rather than kept; make it `external` if someone else issues it"
            )),
        )
    }

    /// A database password with no class from the compose file or the
    /// catalog: by the name, `stored` (the server keeps its own copy from
    /// its first start), and said to be a guess.
    fn rotation_by_name(&self, v: &TemplateVar, d: Decision) -> Decision {
        if d.rotation.is_some()
            || d.class != Class::Secret
            || names::secret_role(&v.name) != Some(SecretRole::Password)
        {
            return d;
        }
        let family = names::first_part(&v.name);
        let databases = [
            "DB",
            "DATABASE",
            "POSTGRES",
            "POSTGRESQL",
            "PG",
            "MYSQL",
            "MARIADB",
            "MONGO",
            "MONGODB",
            "RABBITMQ",
        ];
        if !databases.contains(&family.as_str()) {
            return d;
        }
        let mut d = d.also_uncertain(
            "rotation `stored` from the name: a database server keeps its own copy from its first start",
        );
        d.rotation = Some(RotationClass::Stored);
        d
    }

    /// What the value itself shows: a URL holding another variable's value,
    /// a signed token, or (empty) a connection URL the template's
    /// variables make.
    fn by_value(&self, v: &TemplateVar, value: &str, value_from: Option<&str>) -> Option<Decision> {
        // Only a URL, or an empty value that may be one, is matched against
        // the other variables.
        let url_name = || {
            let upper = v.name.to_ascii_uppercase();
            upper.contains("URL") || upper.contains("URI")
        };
        if !(value.contains("://") || (value.is_empty() && url_name())) {
            return self.signed_token(v, value);
        }
        let candidates = self.candidates(v);
        let from = value_from.map_or_else(String::new, |f| format!(" ({f})"));
        match url::analyse(value, &candidates) {
            Verdict::Template {
                template,
                password_of,
            } => {
                let t = Template::parse(&template, Escape::Url).expect("built from parsed pieces");
                let why = format!("URL template, from {password_of}'s value as its password{from}");
                return Some(Decision::new(Class::Derived, Source::Template(t), why));
            }
            Verdict::OwnPassword => {
                return Some(Decision::setting().uncertain(
                    "a URL with a password no variable holds: keep it equal to the database's, or write it as a template",
                ));
            }
            Verdict::Plain => {}
        }
        if value.is_empty() {
            if let Some(t) = url::guess(&v.name, &candidates) {
                let template = Template::parse(&t, Escape::Url).expect("built from names");
                return Some(
                    Decision::new(
                        Class::Derived,
                        Source::Template(template),
                        "URL template, from the template's database variables",
                    )
                    .uncertain("empty in the template: guessed from its database variables; compare it with the compose file's default"),
                );
            }
        }
        self.signed_token(v, value)
    }

    /// A JWT sample (`eyJ...`) under a key's name, with a JWT secret in the
    /// template: a token to sign with it, with the sample's claims.
    fn signed_token(&self, v: &TemplateVar, value: &str) -> Option<Decision> {
        let mut parts = value.split('.');
        let (Some(head), Some(payload), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        if !head.starts_with("eyJ") {
            return None;
        }
        let claims: Map<String, Value> =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        let secret = self.first(v, Test::JwtSecret)?;
        let expires_in = match (claims.get("iat"), claims.get("exp")) {
            (Some(i), Some(e)) => e
                .as_u64()?
                .checked_sub(i.as_u64()?)
                .map(std::time::Duration::from_secs),
            _ => None,
        };
        let mut kept: Map<String, Value> = claims
            .into_iter()
            .filter(|(k, _)| k != "iat" && k != "exp")
            .collect();
        // The sample's issuer marks it as a demo (`supabase-demo`), which
        // `check` reports as a published token.
        if let Some(Value::String(iss)) = kept.get_mut("iss") {
            if let Some(real) = iss.strip_suffix("-demo") {
                *iss = real.to_owned();
            }
        }
        let why = format!(
            "HS256 token signed with {}, from the claims of the sample on line {}",
            secret.name, v.line
        );
        let source = Source::Derive {
            derivation: Derivation::SignedJwt {
                claims: kept,
                expires_in,
            },
            from: secret.name.clone(),
        };
        Some(Decision::new(Class::Derived, source, why))
    }

    /// With a MinIO in the template, an S3 key may be the bundled store's
    /// root credential rather than a third party's.
    fn bundled_store(&self, v: &TemplateVar) -> Option<String> {
        let upper = v.name.to_ascii_uppercase();
        let storage = ["AWS_", "S3_"].iter().any(|p| upper.contains(p));
        (storage && self.minio && upper.contains("KEY")).then(|| {
            "the template has a MinIO: if this is its root credential, make it a secret".to_owned()
        })
    }

    fn vapid_public(&self, v: &TemplateVar) -> Option<Decision> {
        let upper = v.name.to_ascii_uppercase();
        if !(upper.contains("VAPID") && upper.contains("PUBLIC")) {
            return None;
        }
        let private = self.first(v, Test::VapidPrivate)?;
        let source = Source::Derive {
            derivation: Derivation::VapidPublicKey,
            from: private.name.clone(),
        };
        let why = format!("public half of {}, from the name", private.name);
        Some(Decision::new(Class::Derived, source, why))
    }

    /// `REDIS_PASSWORD=null`: Laravel's (and others') way of saying the
    /// service has none. Generating one would make the client send a
    /// password the server refuses.
    fn no_password(&self, v: &TemplateVar) -> Option<Decision> {
        let value = v.value.trim();
        let nothing = matches!(value.to_ascii_lowercase().as_str(), "null" | "none" | "nil");
        (nothing && names::secret_role(&v.name).is_some()).then(|| {
            Decision::setting().uncertain(format!(
                "`{value}` usually means none: kept as written; make it a secret if the service has one"
            ))
        })
    }

    /// A secret: by its name, or by a generator written right above it.
    /// What only the name says is a secret is generated and marked
    /// uncertain: a provider may issue it.
    fn secret(&self, v: &TemplateVar) -> Option<Decision> {
        let role = names::secret_role(&v.name);
        let direct = v
            .comments
            .iter()
            .filter(|c| c.direct)
            .any(|c| hints::read(&c.text).generator.is_some());
        if role.is_none() && !direct {
            return None;
        }
        let value = v.value.trim();
        let placeholder = value.is_empty() || looks_like_placeholder(&v.name, value);
        if role == Some(SecretRole::Key) && !direct && !placeholder && word_like(value) {
            return Some(
                Decision::setting()
                    .uncertain("a key's name, but its value names something: kept as written"),
            );
        }
        let (kind, why, stated) = self.secret_kind(v, role, placeholder);
        let d = Decision::new(Class::Secret, Source::Generate(kind), why);
        if stated || self.comments_call_it_secret(v) {
            return Some(d);
        }
        let what = if value.is_empty() {
            "empty in the template"
        } else {
            "a placeholder in the template"
        };
        Some(d.uncertain(format!(
            "{what}, and only the name says it is a secret the stack makes: generated; make it `external` if a provider issues it"
        )))
    }

    /// Whether the comments right above call the value a random secret
    /// ("a random string", "generate one", "encryption key").
    fn comments_call_it_secret(&self, v: &TemplateVar) -> bool {
        v.comments.iter().filter(|c| c.direct).any(|c| {
            let t = c.text.to_ascii_lowercase();
            [
                "random",
                "generate",
                "secret",
                "encrypt",
                "sign",
                "password for",
                "salt",
                "long string",
            ]
            .iter()
            .any(|w| t.contains(w))
        })
    }

    /// A format the template states in its comments (all of those above
    /// the variable when `any`, else those right above it): a generator
    /// command or a length (with the character class, when stated), else a
    /// character class alone.
    fn stated(&self, v: &TemplateVar, any: bool) -> (Option<Format>, Option<Format>) {
        let vapid_ok = |k: &Kind| {
            *k != Kind::VapidPrivateKey || v.name.to_ascii_uppercase().contains("PRIVATE")
        };
        let comments = || v.comments.iter().filter(|c| c.direct || any);
        for c in comments() {
            if let Some((kind, shown)) = hints::read(&c.text).generator.filter(|(k, _)| vapid_ok(k))
            {
                return (
                    Some((
                        kind.clone(),
                        format!("{}, from \"{shown}\" on line {}", describe(&kind), c.line),
                    )),
                    None,
                );
            }
        }
        let symbol = comments().find_map(|c| hints::read(&c.text).symbol.map(|s| (s, c.line)));
        let mut class_only = None;
        for c in comments() {
            let stated = hints::read(&c.text);
            if let Some((len, shown)) = stated.length {
                let kind = match (&symbol, len) {
                    (Some(_), Length::Exact(n)) => Kind::Password {
                        length: n,
                        alphabet: Alphabet::EnvSafe,
                    },
                    (Some(_), Length::AtLeast(n)) => Kind::Password {
                        length: n.max(32),
                        alphabet: Alphabet::EnvSafe,
                    },
                    (None, len) => hints::kind_for_length(len),
                };
                let also = symbol
                    .as_ref()
                    .map_or(String::new(), |(s, l)| format!(" and \"{s}\" on line {l}"));
                return (
                    Some((
                        kind.clone(),
                        format!(
                            "{}, from \"{shown}\" on line {}{also}",
                            describe(&kind),
                            c.line
                        ),
                    )),
                    None,
                );
            }
            if let Some(a) = stated.alphanumeric {
                let kind = Kind::Password {
                    length: 32,
                    alphabet: Alphabet::Alphanumeric,
                };
                let why = format!("{}, from \"{a}\" on line {}", describe(&kind), c.line);
                class_only.get_or_insert((kind, why));
            }
        }
        if let (None, Some((s, line))) = (&class_only, symbol) {
            let kind = Kind::Password {
                length: 32,
                alphabet: Alphabet::EnvSafe,
            };
            let why = format!(
                "{} with a symbol, from \"{s}\" on line {line}",
                describe(&kind)
            );
            class_only = Some((kind, why));
        }
        (None, class_only)
    }

    /// A format the comments right above the variable state, whatever it is.
    fn stated_kind(&self, v: &TemplateVar, direct_only: bool) -> Option<(Kind, String)> {
        let (exact, class) = self.stated(v, !direct_only);
        exact.or(class)
    }

    /// The kind of a secret, in order: a generator the comments name, a
    /// length or alphabet they state, a length the placeholder states, the
    /// shape of a real-looking sample, the name; and whether the comments
    /// stated it.
    fn secret_kind(
        &self,
        v: &TemplateVar,
        role: Option<SecretRole>,
        placeholder: bool,
    ) -> (Kind, String, bool) {
        let (exact, class_only) = self.stated(v, role.is_some());
        if let Some((kind, why)) = exact {
            return (kind, why, true);
        }
        if let Some((len, shown)) = hints::read(&v.value).length.filter(|_| placeholder) {
            let kind = hints::kind_for_length(len);
            let what = if matches!(len, Length::AtLeast(_)) {
                "the placeholder's minimum"
            } else {
                "the placeholder"
            };
            return (
                kind.clone(),
                format!(
                    "{}, from \"{shown}\" in {what} on line {}",
                    describe(&kind),
                    v.line
                ),
                false,
            );
        }
        if let Some((kind, why)) = class_only {
            return (kind, why, true);
        }
        // A published sample (Infisical's) is no value to keep, but its
        // shape still shows the format.
        if !placeholder_text(&v.name, &v.value) && v.value.len() >= 16 {
            if let Some(kind) = infer(&v.name, &v.value) {
                let kind = match kind {
                    Kind::Password { length, .. }
                        if v.value
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) =>
                    {
                        Kind::Password {
                            length,
                            alphabet: Alphabet::LowerAlphanumeric,
                        }
                    }
                    k => k,
                };
                return (
                    kind.clone(),
                    format!(
                        "{}, from the shape of the sample value on line {}",
                        describe(&kind),
                        v.line
                    ),
                    false,
                );
            }
        }
        let (kind, rule) = match role {
            Some(SecretRole::Password) => (
                Kind::Password {
                    length: 32,
                    alphabet: Alphabet::Alphanumeric,
                },
                "*_PASSWORD: letters and digits fit a URL unencoded",
            ),
            Some(SecretRole::Salt) => (
                Kind::Password {
                    length: 32,
                    alphabet: Alphabet::Alphanumeric,
                },
                "*_SALT",
            ),
            Some(SecretRole::KeyBase) => (
                Kind::Hex { bytes: 64 },
                "SECRET_KEY_BASE: 128 characters, as `rails secret`",
            ),
            Some(SecretRole::Key) | None => (Kind::Hex { bytes: 32 }, "*_SECRET, *_KEY, *_TOKEN"),
        };
        (
            kind.clone(),
            format!("{}, from the name ({rule})", describe(&kind)),
            false,
        )
    }
}

/// The variables a URL of `v` may be built from: those `v` may refer to,
/// looked up in the context's indexes.
struct Referable<'c, 'a> {
    cx: &'c Context<'a>,
    v: &'c TemplateVar,
}

impl<'a> url::Candidates<'a> for Referable<'_, 'a> {
    fn valued(&self, value: &str) -> Vec<Candidate<'a>> {
        (self.cx.by_value.get(value).into_iter().flatten())
            .map(|&i| &self.cx.vars[i])
            .filter(|o| self.cx.can_refer(self.v, &o.name))
            .map(|o| Candidate {
                name: &o.name,
                value: &o.value,
            })
            .collect()
    }

    fn first(&self, test: NameTest) -> Option<&'a str> {
        (self.cx.first(self.v, Test::Url(test))).map(|o| o.name.as_str())
    }
}

fn same_as(other: String, why: String) -> Decision {
    let why = format!("same value as {other}, {why}");
    Decision::new(Class::Derived, Source::SameAs(other), why)
}

//! Connection URLs whose user, password or database are other variables'
//! values (`postgresql://umami:<POSTGRES_PASSWORD's placeholder>@db/umami`):
//! they become templates, so that the URL follows the password.

use super::names;

/// A URL's parts, as written.
#[derive(Debug)]
struct Parts<'a> {
    scheme: &'a str,
    user: &'a str,
    password: Option<&'a str>,
    /// `host:port`, as written.
    host: &'a str,
    /// The first path segment (the database), and what follows it.
    database: &'a str,
    rest: &'a str,
}

fn split(value: &str) -> Option<Parts<'_>> {
    let (scheme, after) = value.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b))
    {
        return None;
    }
    let authority_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (authority, tail) = after.split_at(authority_end);
    let (userinfo, host) = authority.rsplit_once('@')?;
    let (user, password) = match userinfo.split_once(':') {
        Some((u, p)) => (u, Some(p)),
        None => (userinfo, None),
    };
    let (database, rest) = match tail.strip_prefix('/') {
        Some(path) => {
            let end = path.find(['/', '?', '#']).unwrap_or(path.len());
            path.split_at(end)
        }
        None => ("", tail),
    };
    Some(Parts {
        scheme,
        user,
        password,
        host,
        database,
        rest,
    })
}

/// What a URL value turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// A manifest template (escape `url`) and the variables it reads.
    Template {
        template: String,
        password_of: String,
    },
    /// It holds a password that is no variable's value.
    OwnPassword,
    /// Not a URL with credentials.
    Plain,
}

/// A variable the URL's parts may be.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidate<'a> {
    pub name: &'a str,
    pub value: &'a str,
}

/// What a name is asked to be when a URL is guessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum NameTest {
    /// A MySQL or MariaDB variable.
    Mysql,
    /// A password, user, host, port or database variable of the scheme's
    /// service.
    Role(Role, &'static str),
}

/// A part of a connection URL a variable may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Role {
    Password,
    User,
    Host,
    Port,
    Database,
}

impl NameTest {
    /// Whether `name` passes.
    pub(crate) fn passes(self, name: &str) -> bool {
        match self {
            NameTest::Mysql => {
                let first = names::first_part(name);
                first.starts_with("MYSQL") || first.starts_with("MARIADB")
            }
            NameTest::Role(role, scheme) => {
                let fits = match role {
                    Role::Password => names::is_password_name,
                    Role::User => names::is_user_name,
                    Role::Host => names::is_host_name,
                    Role::Port => names::is_port_name,
                    Role::Database => names::is_database_name,
                };
                fits(name) && in_family(name, names::scheme_family(scheme))
            }
        }
    }
}

/// The variables a URL may be built from, as [`analyse`] and [`guess`]
/// ask for them: by value, and the first of a kind. `init` keeps them
/// indexed, so that a template's URLs cost no scan of the template each.
pub(crate) trait Candidates<'a> {
    /// Those whose value is `value`, in file order.
    fn valued(&self, value: &str) -> Vec<Candidate<'a>>;
    /// The first, in file order, whose name passes `test`.
    fn first(&self, test: NameTest) -> Option<&'a str>;
}

impl<'a> Candidates<'a> for [Candidate<'a>] {
    fn valued(&self, value: &str) -> Vec<Candidate<'a>> {
        self.iter().filter(|c| c.value == value).copied().collect()
    }

    fn first(&self, test: NameTest) -> Option<&'a str> {
        self.iter().find(|c| test.passes(c.name)).map(|c| c.name)
    }
}

fn pick<'a>(
    part: &str,
    candidates: &(impl Candidates<'a> + ?Sized),
    fits: fn(&str) -> bool,
    family: &[&str],
    prefer: Option<&str>,
) -> Option<&'a str> {
    if part.is_empty() {
        return None;
    }
    candidates
        .valued(part)
        .into_iter()
        .filter(|c| fits(c.name))
        .rev() // max_by_key keeps the last of equals: the first in the file
        .max_by_key(|c| {
            let first = names::first_part(c.name);
            // Same service as the scheme, then as the password's variable.
            (
                u8::from(in_family(c.name, family)),
                u8::from(prefer.is_some_and(|p| names::first_part(p) == first)),
            )
        })
        .map(|c| c.name)
}

/// Whether the name starts like the scheme's variables (`PGHOST` for
/// `postgresql`).
fn in_family(name: &str, family: &[&str]) -> bool {
    let first = names::first_part(name);
    family.iter().any(|f| first.starts_with(f))
}

/// Literal URL text in a manifest template: a `$` is written `$$`.
fn literal(text: &str) -> String {
    text.replace('$', "$$")
}

/// Reads `value` as a URL whose parts may be `candidates`' values.
pub(crate) fn analyse<'a>(value: &str, candidates: &(impl Candidates<'a> + ?Sized)) -> Verdict {
    let Some(p) = split(value) else {
        return Verdict::Plain;
    };
    let Some(password) = p.password.filter(|pw| !pw.is_empty()) else {
        return Verdict::Plain;
    };
    let family = names::scheme_family(p.scheme);
    let Some(password_of) = pick(password, candidates, names::is_password_name, family, None)
    else {
        return Verdict::OwnPassword;
    };
    let reference = |name: Option<&str>, text: &str| {
        name.map_or_else(|| literal(text), |n| format!("${{{n}}}"))
    };
    let user = pick(
        p.user,
        candidates,
        names::is_user_name,
        family,
        Some(password_of),
    );
    let database = pick(
        p.database,
        candidates,
        names::is_database_name,
        family,
        Some(password_of),
    );
    let mut template = format!(
        "{}://{}:${{{password_of}}}@{}",
        literal(p.scheme),
        reference(user, p.user),
        literal(p.host)
    );
    if !p.database.is_empty() || value[p.scheme.len() + 3..].contains('/') {
        template.push('/');
    }
    template.push_str(&reference(database, p.database));
    template.push_str(&literal(p.rest));
    Verdict::Template {
        template,
        password_of: password_of.to_owned(),
    }
}

/// For an empty connection-URL variable: the URL its service's variables
/// make, when the template has them all (user, password, host; port and
/// database when there are such variables).
pub(crate) fn guess<'a>(name: &str, candidates: &(impl Candidates<'a> + ?Sized)) -> Option<String> {
    let upper = name.to_ascii_uppercase();
    let scheme = if upper.contains("AMQP") || upper.contains("RABBITMQ") {
        "amqp"
    } else if upper.contains("DATABASE_URL")
        || upper.contains("DB_URL")
        || upper.contains("DB_URI")
        || upper.contains("CONNECTION_URI")
        || upper.contains("POSTGRES_URL")
    {
        if candidates.first(NameTest::Mysql).is_some() {
            "mysql"
        } else {
            "postgresql"
        }
    } else {
        return None;
    };
    let of = |role| candidates.first(NameTest::Role(role, scheme));
    let password = of(Role::Password)?;
    let user = of(Role::User)?;
    let host = of(Role::Host)?;
    let mut url = format!("{scheme}://${{{user}}}:${{{password}}}@${{{host}}}");
    if let Some(port) = of(Role::Port) {
        url.push_str(&format!(":${{{port}}}"));
    }
    if let Some(db) = of(Role::Database) {
        url.push_str(&format!("/${{{db}}}"));
    }
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c<'a>(pairs: &'a [(&'a str, &'a str)]) -> Vec<Candidate<'a>> {
        pairs
            .iter()
            .map(|(name, value)| Candidate { name, value })
            .collect()
    }

    #[test]
    fn a_shared_placeholder_goes_to_the_password() {
        let vars = c(&[
            ("APP_SECRET", "replace-me"),
            ("POSTGRES_DB", "umami"),
            ("POSTGRES_USER", "umami"),
            ("POSTGRES_PASSWORD", "replace-me"),
        ]);
        assert_eq!(
            analyse("postgresql://umami:replace-me@db:5432/umami", &vars[..]),
            Verdict::Template {
                template:
                    "postgresql://${POSTGRES_USER}:${POSTGRES_PASSWORD}@db:5432/${POSTGRES_DB}"
                        .into(),
                password_of: "POSTGRES_PASSWORD".into()
            }
        );
        assert_eq!(
            analyse("postgres://user:pass@postgres:5432/outline", &vars[..]),
            Verdict::OwnPassword
        );
        assert_eq!(analyse("redis://redis:6379", &vars[..]), Verdict::Plain);
        assert_eq!(
            analyse(
                "postgresql://postgres:replace-me@h/d?schema=public",
                &vars[..]
            ),
            Verdict::Template {
                template: "postgresql://postgres:${POSTGRES_PASSWORD}@h/d?schema=public".into(),
                password_of: "POSTGRES_PASSWORD".into()
            }
        );
    }

    #[test]
    fn guesses_need_every_part() {
        let vars = c(&[
            ("PGHOST", "plane-db"),
            ("PGDATABASE", "plane"),
            ("POSTGRES_USER", "plane"),
            ("POSTGRES_PASSWORD", "plane"),
            ("POSTGRES_PORT", "5432"),
            ("RABBITMQ_HOST", "mq"),
            ("RABBITMQ_USER", "plane"),
        ]);
        assert_eq!(
            guess("DATABASE_URL", &vars[..]).unwrap(),
            "postgresql://${POSTGRES_USER}:${POSTGRES_PASSWORD}@${PGHOST}:${POSTGRES_PORT}/${PGDATABASE}"
        );
        assert_eq!(guess("AMQP_URL", &vars[..]), None, "no RabbitMQ password");
        assert_eq!(guess("REDIS_URL", &vars[..]), None);
    }
}

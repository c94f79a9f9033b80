//! What a variable's name says: a third party's credential or the
//! operator's identity (never invented), a secret (and which sort), or
//! neither.

/// Services whose credentials the operator gets from someone else.
const THIRD_PARTIES: &[&str] = &[
    "AI",
    "AIRTABLE",
    "ALGOLIA",
    "ANTHROPIC",
    "APNS",
    "APPLE",
    "AUTH0",
    "AWS",
    "AZURE",
    "AZUREAD",
    "B2",
    "BACKBLAZE",
    "BEDROCK",
    "BITBUCKET",
    "BREVO",
    "CAPTCHA",
    "CLOUDFLARE",
    "COHERE",
    "CRISP",
    "DATADOG",
    "DIGITALOCEAN",
    "DISCORD",
    "DROPBOX",
    "EMBEDDING",
    "FACEBOOK",
    "FCM",
    "FIGMA",
    "FIREBASE",
    "GCP",
    "GCS",
    "GCLOUD",
    "GEMINI",
    "GEOIP",
    "GIPHY",
    "GITHUB",
    "GITLAB",
    "GOOGLE",
    "HCAPTCHA",
    "HEROKU",
    "HONEYCOMB",
    "HUBSPOT",
    "HUGGINGFACE",
    "IFRAMELY",
    "INTERCOM",
    "LDAP",
    "LICENSE",
    "LINEAR",
    "LINGO",
    "LLM",
    "MAIL",
    "MAILER",
    "MAILGUN",
    "MAILJET",
    "MAPBOX",
    "MAXMIND",
    "MICROSOFT",
    "MISTRAL",
    "MIXPANEL",
    "NETLIFY",
    "NEWRELIC",
    "NOTION",
    "OAUTH",
    "OIDC",
    "OKTA",
    "ONESIGNAL",
    "OPENAI",
    "OPENROUTER",
    "OPENSTACK",
    "PADDLE",
    "PAYPAL",
    "PLAIN",
    "POSTHOG",
    "POSTMARK",
    "PROVIDER",
    "PUSHER",
    "RECAPTCHA",
    "RESEND",
    "S3",
    "SAML",
    "SEGMENT",
    "SENDGRID",
    "SENTRY",
    "SES",
    "SLACK",
    "SMTP",
    "SPACES",
    "SPARKPOST",
    "STRIPE",
    "SWIFT",
    "TELEGRAM",
    "TURNSTILE",
    "TWILIO",
    "TWITTER",
    "UNSPLASH",
    "VERCEL",
    "VERTEX",
    "WASABI",
    "ZOOM",
];

/// Name parts that make a third party's variable a credential or an
/// account identifier.
const CREDENTIAL_PARTS: &[&str] = &[
    "ACCOUNT",
    "CERT",
    "CERTIFICATE",
    "CREDENTIALS",
    "DN",
    "DSN",
    "FINGERPRINT",
    "ID",
    "KEY",
    "LOGIN",
    "PASS",
    "PASSWD",
    "PASSWORD",
    "PROJECT",
    "PWD",
    "SECRET",
    "SID",
    "SLUG",
    "TENANT",
    "TOKEN",
    "USER",
    "USERNAME",
];

/// Last name parts of a setting, whatever else the name holds.
const SETTING_ENDS: &[&str] = &[
    "ACTIONS",
    "ALG",
    "ALGORITHM",
    "ATTRIBUTE",
    "AUDIENCE",
    "BUCKET",
    "CLAIM",
    "CONCURRENCY",
    "DAYS",
    "DIR",
    "DISABLED",
    "DOMAIN",
    "ENABLED",
    "ENCRYPTION",
    "ENDPOINT",
    "ENVIRONMENT",
    "EXPIRY",
    "FORMAT",
    "HOST",
    "IDS",
    "IMAGE",
    "ISSUER",
    "LENGTH",
    "LIFETIME",
    "LOCATION",
    "METHOD",
    "MINUTES",
    "MODE",
    "MODEL",
    "NAME",
    "PATH",
    "PORT",
    "PREFIX",
    "PROTOCOL",
    "PROVIDER",
    "REGION",
    "ROLES",
    "SCOPES",
    "SECONDS",
    "SECURE",
    "SERVER",
    "SERVICE",
    "SIZE",
    "SSL",
    "TIMEOUT",
    "TLS",
    "TTL",
    "TUNNEL",
    "TYPE",
    "URI",
    "URL",
    "VERSION",
];

/// Prefixes of variables built into a front end: whatever they hold is
/// public, so a credential there is the operator's (a site key, a proxy
/// token), never a secret to generate.
const FRONT_END_PREFIXES: &[&str] = &[
    "VITE_",
    "NEXT_PUBLIC_",
    "REACT_APP_",
    "NUXT_PUBLIC_",
    "EXPO_PUBLIC_",
    "PUBLIC_",
];

/// Last name parts of a value that is public or not a secret at all.
const PUBLIC_ENDS: &[&str] = &[
    "ALG",
    "ALGORITHM",
    "AUDIENCE",
    "COUNT",
    "DAYS",
    "DIR",
    "DISABLED",
    "DOMAIN",
    "EMAIL",
    "ENABLED",
    "EXPIRY",
    "FILE",
    "HOST",
    "HOURS",
    "ID",
    "IDS",
    "INTERVAL",
    "ISSUER",
    "LENGTH",
    "LIFETIME",
    "LIMIT",
    "METHOD",
    "MINUTES",
    "MODE",
    "NAME",
    "PATH",
    "PORT",
    "PREFIX",
    "REGION",
    "SECONDS",
    "SIZE",
    "SUBJECT",
    "TIMEOUT",
    "TTL",
    "TYPE",
    "URI",
    "URL",
    "USER",
    "USERNAME",
    "VERSION",
];

/// Which sort of secret a name says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SecretRole {
    /// `*_PASSWORD`, `*_PASS`: a password, kept to letters and digits so
    /// that it fits a URL unencoded.
    Password,
    /// `*_SALT`, `*_PEPPER`.
    Salt,
    /// `SECRET_KEY_BASE`: Rails and Phoenix.
    KeyBase,
    /// `*_SECRET`, `*_KEY`, `*_TOKEN`.
    Key,
}

fn parts(name: &str) -> Vec<String> {
    name.to_ascii_uppercase()
        .split('_')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether the name holds one of the parts.
fn has(parts: &[String], set: &[&str]) -> bool {
    parts.iter().any(|p| set.contains(&p.as_str()))
}

fn last_in(parts: &[String], set: &[&str]) -> bool {
    parts.last().is_some_and(|p| set.contains(&p.as_str()))
}

/// Whether `value` is an e-mail address.
pub(crate) fn is_email(value: &str) -> bool {
    let v = value.trim();
    let Some((local, domain)) = v.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !local.contains([' ', '/', ':'])
        && domain.contains('.')
        && !domain.contains([' ', '/', ':', '@'])
        && !v.contains("${")
}

/// Why `name` (holding `value`) is the operator's to supply, if it is.
pub(crate) fn external(name: &str, value: &str) -> Option<&'static str> {
    let p = parts(name);
    let upper = name.to_ascii_uppercase();
    if upper.contains("CLIENT_SECRET") || upper.contains("CLIENT_ID") {
        return Some("an OAuth client registered with a provider");
    }
    if has(&p, &["SSL", "TLS"]) && last_in(&p, &["KEY", "CERT", "CERTIFICATE", "CA"]) {
        return Some("the operator's TLS key or certificate");
    }
    // SAML and OIDC attribute mappings name an e-mail field, not an address.
    let mapping = has(
        &p,
        &["ATTRIBUTE", "ATTRIBUTES", "CLAIM", "CLAIMS", "FIELD", "KEY"],
    );
    let address = !mapping && (value.trim().is_empty() || is_email(value));
    if (last_in(&p, &["EMAIL"]) && address)
        || upper.ends_with("FROM_ADDRESS")
        || upper.ends_with("REPLY_TO")
        || upper.ends_with("MAIL_FROM")
        || upper.ends_with("EMAIL_FROM")
        || (is_email(value) && !last_in(&p, SETTING_ENDS))
    {
        return Some("the operator's e-mail identity");
    }
    let credential = has(&p, CREDENTIAL_PARTS) || upper.contains("CREDENTIALS");
    // A front end's credential is named as one (`..._SITE_KEY`), not a
    // message that mentions a login.
    if FRONT_END_PREFIXES.iter().any(|f| upper.starts_with(f))
        && credential
        && last_in(&p, CREDENTIAL_PARTS)
    {
        return Some("built into the front end: a provider's public key or token");
    }
    if credential && has(&p, THIRD_PARTIES) && !last_in(&p, SETTING_ENDS) {
        return Some("a third party's credential or account");
    }
    None
}

/// The sort of secret `name` says it holds.
pub(crate) fn secret_role(name: &str) -> Option<SecretRole> {
    let p = parts(name);
    let upper = name.to_ascii_uppercase();
    if upper.ends_with("SECRET_KEY_BASE") {
        return Some(SecretRole::KeyBase);
    }
    if last_in(&p, PUBLIC_ENDS)
        || upper.ends_with("PUBLIC_KEY")
        || upper.ends_with("PUBLISHABLE_KEY")
        || upper.ends_with("SITE_KEY")
        || upper.ends_with("KEY_ID")
    {
        return None;
    }
    match p.last().map(String::as_str) {
        Some("PASSWORD" | "PASSWD" | "PASS" | "PWD") => Some(SecretRole::Password),
        Some("SALT" | "PEPPER") => Some(SecretRole::Salt),
        Some("SECRET" | "SECRETS" | "KEY" | "KEYS" | "TOKEN" | "TOKENS") => Some(SecretRole::Key),
        _ if p.first().is_some_and(|f| f == "SECRET") => Some(SecretRole::Key),
        _ => None,
    }
}

/// The name parts a URL scheme's variables start with.
pub(crate) fn scheme_family(scheme: &str) -> &'static [&'static str] {
    match scheme.to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" | "ecto" => &["POSTGRES", "PG", "DB", "DATABASE", "POSTGRESQL"],
        "mysql" | "mariadb" | "mysql2" => &["MYSQL", "MARIADB", "DB", "DATABASE"],
        "amqp" | "amqps" => &["RABBITMQ", "AMQP", "RABBIT", "MQ"],
        "redis" | "rediss" => &["REDIS"],
        "mongodb" | "mongodb+srv" => &["MONGO", "MONGODB"],
        _ => &[],
    }
}

/// The first part of a name (`POSTGRES` of `POSTGRES_PASSWORD`).
pub(crate) fn first_part(name: &str) -> String {
    parts(name).into_iter().next().unwrap_or_default()
}

/// Whether the name is a password's (for the password of a URL).
pub(crate) fn is_password_name(name: &str) -> bool {
    secret_role(name) == Some(SecretRole::Password)
}

/// Whether the name is a user name's.
pub(crate) fn is_user_name(name: &str) -> bool {
    last_in(&parts(name), &["USER", "USERNAME", "LOGIN"])
}

/// Whether the name is a database's (or a RabbitMQ virtual host's).
pub(crate) fn is_database_name(name: &str) -> bool {
    let p = parts(name);
    last_in(&p, &["DB", "DATABASE", "VHOST", "DBNAME", "PGDATABASE"])
        || (last_in(&p, &["NAME"]) && has(&p, &["DB", "DATABASE"]))
}

/// Whether the name is a host's, or a port's.
pub(crate) fn is_host_name(name: &str) -> bool {
    last_in(&parts(name), &["HOST", "PGHOST", "HOSTNAME"])
}

/// Whether the name is a port's.
pub(crate) fn is_port_name(name: &str) -> bool {
    last_in(&parts(name), &["PORT", "PGPORT"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn externals() {
        for (n, v) in [
            ("SMTP_PASS", "fake_mail_password"),
            ("SMTP_ADMIN_EMAIL", "admin@example.com"),
            ("MAIL_FROM", "noreply@example.com"),
            ("GOOGLE_PROJECT_NUMBER", "GOOGLE_PROJECT_NUMBER"),
            ("CLIENT_SECRET_GITLAB_LOGIN", ""),
            ("OPENAI_API_KEY", ""),
            ("SENTRY_DSN", ""),
            ("AWS_SECRET_ACCESS_KEY", ""),
            ("VITE_PROXYSCOTCH_ACCESS_TOKEN", ""),
            ("NEXT_PUBLIC_CAPTCHA_SITE_KEY", ""),
            ("SSL_KEY", ""),
            ("LDAP_BIND_DN", ""),
            ("EMBEDDING_PROVIDER_API_KEY", ""),
            ("CLIENT_SLUG_VERCEL", ""),
            ("ENTERPRISE_LICENSE_KEY", ""),
            ("STRIPE_WEBHOOK_SECRET", ""),
        ] {
            assert!(external(n, v).is_some(), "{n}");
        }
        for (n, v) in [
            ("SMTP_HOST", "supabase-mail"),
            ("SMTP_SENDER_NAME", "fake_sender"),
            ("MAIL_FROM_NAME", "\"Formbricks\""),
            ("AWS_REGION", ""),
            ("SENTRY_IMAGE", "ghcr.io/getsentry/sentry:nightly"),
            ("S3_BUCKET_NAME", ""),
            ("LOGFLARE_PUBLIC_ACCESS_TOKEN", "x"),
            ("HUB_API_KEY", "dev-api-key"),
            ("PLAIN_WISH_LABEL_IDS", ""),
            ("PUBLIC_LOGIN_PAGE_MESSAGE", ""),
            ("AI_PROVIDER", "google"),
            ("POSTGRES_PASSWORD", "x"),
            (
                "SAML_ATTRIBUTES_STATEMENTS_EMAIL",
                "\"urn:oid:1.3.6.1.4.1.5923.1.1.1.6\"",
            ),
        ] {
            assert!(external(n, v).is_none(), "{n}");
        }
    }

    #[test]
    fn secrets() {
        use SecretRole::*;
        for (n, r) in [
            ("POSTGRES_PASSWORD", Some(Password)),
            ("DB_PASS", Some(Password)),
            ("SECRET_KEY_BASE", Some(KeyBase)),
            ("HASHIDS_SALT", Some(Salt)),
            ("APP_KEY", Some(Key)),
            ("LOGFLARE_PUBLIC_ACCESS_TOKEN", Some(Key)),
            ("LIVE_SERVER_SECRET_KEY", Some(Key)),
            ("SECRET_KEY_FILE", None),
            ("VAPID_PUBLIC_KEY", None),
            ("POSTGRES_USER", None),
            ("HASHIDS_LENGTH", None),
            ("PASSWORD_RESET_TOKEN_LIFETIME_MINUTES", None),
            ("SECRET_TOKEN", Some(Key)),
            ("AWS_CLOUDFRONT_KEY_PAIR_ID", None),
        ] {
            assert_eq!(secret_role(n), r, "{n}");
        }
    }
}

//! PostgreSQL roles: `ALTER ROLE ... PASSWORD '<SCRAM verifier>'` (the
//! server never sees the plaintext), and the login check done by hand
//! with SCRAM only (`crate::postgres::login`).

use postgres::Client;

use super::{AccountChange, Engine, StepError};
use crate::peer;
use crate::postgres::pinned::PinnedHosts;
use crate::postgres::tls::{self, Transport};
use crate::postgres::{alter_role_sql, login, scram, AdminUrl, PgError};
use crate::SecretValue;

/// A PostgreSQL server reached through the administrator's URL.
pub(crate) struct PostgresEngine {
    admin: AdminUrl,
    /// The URL's unix sockets, checked before any login was sent.
    sockets: Option<PinnedHosts>,
    client: Client,
    /// Whether the admin connection uses TLS (`prefer` falls back to
    /// plaintext on loopback): the login check does the same.
    tls: bool,
}

/// What every connection uses: the admin URL's config, its unix hosts
/// replaced by their checked sockets, or its loopback names by the
/// addresses checked.
fn connection_config(admin: &AdminUrl, sockets: Option<&PinnedHosts>) -> postgres::Config {
    match sockets {
        Some(pinned) => pinned.config(&admin.config()),
        None if admin.tls.unchecked_loopback => to_addresses(admin.config()),
        None => admin.config(),
    }
}

/// A loopback-only `config` connecting to addresses (`hostaddr`, one per
/// host: `localhost` is 127.0.0.1), so that no name is resolved between
/// the listener check and the connection (`localhost` may be ::1 first,
/// and its lookup tells a racing listener when to start).
fn to_addresses(mut config: postgres::Config) -> postgres::Config {
    use postgres::config::Host;
    if !config.get_hostaddrs().is_empty() {
        return config;
    }
    let addrs: Vec<std::net::IpAddr> = (config.get_hosts().iter())
        .map(|h| match h {
            Host::Tcp(name) => name
                .parse()
                .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)),
            // Not in a loopback-only config.
            Host::Unix(_) => std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        })
        .collect();
    for a in addrs {
        config.hostaddr(a);
    }
    config
}

fn pg_message(e: &postgres::Error) -> String {
    // The server's own message (no statement text, so no verifier), or the
    // client's description of a connection failure.
    e.as_db_error()
        .map_or_else(|| e.to_string(), |d| d.message().to_owned())
}

impl PostgresEngine {
    /// Checks the URL (TLS rules, before any connection) and connects as
    /// the administrator: over TLS with SCRAM-SHA-256-PLUS, or, where the
    /// URL allows it, without TLS.
    pub(crate) fn connect(url: &SecretValue) -> Result<PostgresEngine, StepError> {
        let admin = AdminUrl::new(url.clone()).map_err(|e| StepError(e.to_string()))?;
        let sockets = PinnedHosts::pin(&admin.config(), admin.peer.as_ref())
            .map_err(|e| StepError(PgError::Tls(e).to_string()))?;
        let settings = &admin.tls;
        let config = || connection_config(&admin, sockets.as_ref());
        if settings.unchecked_loopback {
            // Before any byte: whoever holds the port would get the login
            // (in clear after `prefer` falls back, or a SCRAM proof over
            // TLS that checks no certificate).
            let config = to_addresses(admin.config());
            let ports = config.get_ports();
            for (i, ip) in config.get_hostaddrs().iter().enumerate() {
                let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
                peer::check_loopback(*ip, port, admin.peer.as_ref())
                    .map_err(|e| StepError(PgError::Tls(e).to_string()))?;
            }
        }
        let fail =
            |e: postgres::Error| StepError(PgError::Admin(tls::describe(&e, settings)).to_string());
        let tls = match settings.transport {
            Transport::Plain => false,
            Transport::Tls { fallback } => match settings.connect(config(), true) {
                Ok(client) => {
                    return Ok(PostgresEngine {
                        admin,
                        sockets,
                        client,
                        tls: true,
                    })
                }
                // libpq's prefer: plaintext when the server has no TLS, only
                // to local hosts (`fallback`). A second connection: the
                // first ran with sslmode=require, so nothing followed the
                // server's "no".
                Err(e) if fallback && tls::server_has_no_tls(&e) => false,
                Err(e) => return Err(fail(e)),
            },
        };
        let client = settings.connect(config(), tls).map_err(fail)?;
        Ok(PostgresEngine {
            admin,
            sockets,
            client,
            tls,
        })
    }

    /// The admin URL's config, its unix hosts replaced by their checked
    /// sockets, its loopback names by the addresses checked.
    fn config(&self) -> postgres::Config {
        connection_config(&self.admin, self.sockets.as_ref())
    }

    fn set_password(&mut self, role: &str, password: &SecretValue) -> Result<(), StepError> {
        let verifier = scram::new_verifier(password.expose(), &mut crate::generate::os_rng());
        (self.client)
            .batch_execute(&alter_role_sql(role, &verifier))
            .map_err(|e| StepError(format!("ALTER ROLE {role}: {}", pg_message(&e))))
    }
}

impl Engine for PostgresEngine {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn check(&mut self, changes: &[AccountChange]) -> Result<(), StepError> {
        let admin_role = self.admin.config().get_user().map(str::to_owned);
        for c in changes {
            let row = (self.client)
                .query_opt(
                    "SELECT rolsuper, rolcreaterole, rolbypassrls FROM pg_roles WHERE rolname = $1",
                    &[&c.account],
                )
                .map_err(|e| StepError(PgError::Admin(pg_message(&e)).to_string()))?
                .ok_or_else(|| StepError(format!("role `{}` does not exist", c.account)))?;
            if c.named_explicitly {
                continue;
            }
            let why = if row.get::<_, bool>(0) {
                Some("a superuser")
            } else if row.get::<_, bool>(1) {
                Some("allowed to create roles (CREATEROLE)")
            } else if row.get::<_, bool>(2) {
                Some("allowed to bypass row-level security (BYPASSRLS)")
            } else if admin_role.as_deref() == Some(c.account.as_str()) {
                Some("the admin connection's own role")
            } else {
                None
            };
            if let Some(why) = why {
                return Err(StepError(format!(
                    "role `{role}` is {why}; it is rotated only when the manifest names it (`postgres_role = \"{role}\"` or `[stack] postgres_roles`)",
                    role = c.account
                )));
            }
        }
        Ok(())
    }

    fn set_new(&mut self, change: &AccountChange) -> Result<(), StepError> {
        self.set_password(&change.account, &change.new)
    }

    fn restore_old(&mut self, change: &AccountChange) -> Result<(), StepError> {
        self.set_password(&change.account, &change.old)
    }

    /// On the admin URL's host, port and database, never sending the
    /// password where it could be read: over TLS only
    /// SCRAM-SHA-256-PLUS, without TLS only SCRAM-SHA-256. Done by hand
    /// (see `login`): the password is never handed to tokio-postgres. Only
    /// the server's "password authentication failed" is a refusal.
    fn logs_in(&mut self, account: &str, password: &SecretValue) -> Result<bool, StepError> {
        let mut c = self.config();
        c.user(account);
        let tls = self.tls.then_some(&self.admin.tls);
        match login::scram_only(&c, account, password, tls) {
            Ok(()) => Ok(true),
            Err(e) if e.starts_with("password authentication failed") => Ok(false),
            Err(e) => Err(StepError(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    #[test]
    fn loopback_names_become_the_addresses_checked() {
        let c = super::to_addresses(
            postgres::Config::from_str("host=localhost,127.0.0.2 port=5433 user=a").unwrap(),
        );
        let addrs: Vec<String> = c.get_hostaddrs().iter().map(|a| a.to_string()).collect();
        assert_eq!(addrs, ["127.0.0.1", "127.0.0.2"]);
        let given = super::to_addresses(
            postgres::Config::from_str("host=localhost hostaddr=::1 user=a").unwrap(),
        );
        assert_eq!(given.get_hostaddrs().len(), 1);
        assert_eq!(given.get_hostaddrs()[0].to_string(), "::1");
    }
}

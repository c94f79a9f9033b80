//! The administrator's connection to PostgreSQL: its URL, checked before
//! any connection, and its errors.

use std::str::FromStr;
use std::time::Duration;

use postgres::Config;

use super::tls::{self, SplitError};
use crate::peer::RequiredPeer;
use crate::SecretValue;

/// The administrator's connection URL (it holds a password), with how to
/// reach the server: libpq's `sslmode`, `sslrootcert` and `channel_binding`
/// through rustls (see the `tls` module).
#[derive(Debug, Clone)]
pub struct AdminUrl {
    /// The URL without the TLS parameters.
    rest: SecretValue,
    pub(crate) tls: tls::Settings,
    /// `requirepeer=`: who must listen on a unix socket.
    pub(crate) peer: Option<RequiredPeer>,
}

impl AdminUrl {
    /// Wraps a URL such as `postgresql://admin:PW@127.0.0.1:5432/postgres`
    /// or `host=db.example user=admin password=PW sslmode=verify-full
    /// sslrootcert=/etc/ssl/db-ca.pem`. Refuses, before any connection, a
    /// URL whose password could go without TLS to a host that is not a unix
    /// socket or loopback address (unless `sslmode=disable`), and reads the
    /// CA file now.
    pub fn new(url: SecretValue) -> Result<Self, PgError> {
        let (rest, params) = tls::split(url.expose()).map_err(|e| match e {
            SplitError::Syntax => PgError::Url,
            SplitError::Param(m) => PgError::Tls(m),
        })?;
        let rest = SecretValue::new(rest.to_string());
        let config = Config::from_str(rest.expose()).map_err(|_| PgError::Url)?;
        let tls = tls::Settings::new(&params, &config).map_err(PgError::Tls)?;
        Ok(AdminUrl {
            rest,
            tls,
            peer: params.peer,
        })
    }

    pub(crate) fn config(&self) -> Config {
        let mut c = Config::from_str(self.rest.expose()).expect("checked in new");
        c.connect_timeout(Duration::from_secs(10));
        c
    }
}

/// A refused or failed admin connection; names hosts and settings, never
/// values. (The rotation's own failures are
/// [`crate::rotate::LiveError`]s.)
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PgError {
    /// The admin URL does not parse.
    #[error("the admin URL is not a valid PostgreSQL connection URL")]
    Url,
    /// The admin URL's TLS settings are refused or unusable (a bad
    /// `sslmode`, a missing CA file, a plaintext password to a remote host).
    #[error("admin URL: {0}; nothing was changed")]
    Tls(String),
    /// The admin connection failed.
    #[error("cannot connect as the administrator: {0}")]
    Admin(String),
}

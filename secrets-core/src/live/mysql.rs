//! MariaDB 10.5+ and MySQL 8 accounts: `ALTER USER 'u'@'h' IDENTIFIED WITH
//! mysql_native_password AS '*<SHA1(SHA1(pw))>'`, so the server (its
//! processlist, general log, binary log) sees the stored hash, never the
//! plaintext; accounts with another authentication plugin are refused.
//!
//! The admin URL: `mysql://USER:PASSWORD@HOST:PORT/?ssl-mode=...&ssl-ca=FILE`
//! (`mariadb://` too), or `...@localhost/?socket=/run/mysqld/mysqld.sock`
//! (with `&requirepeer=mysql` when the server does not run as root or the
//! caller: see `crate::peer`).
//! Without TLS a password goes only to the unix socket or a loopback
//! address; to any other host TLS is required, and verified against the
//! host name unless `ssl-mode` says less (`VERIFY_CA`, `REQUIRED`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder, SslOpts};
use sha1::{Digest, Sha1};

use super::{AccountChange, Engine, StepError};
use crate::peer::{self, PinnedSocket, RequiredPeer};
use crate::SecretValue;

/// A path that does not exist (under `/`, which only root can write).
const NO_SERVER_KEY: &str = "/nonexistent/secrets-sends-no-password-to-a-server-key";

/// MySQL's `ssl-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SslMode {
    Disabled,
    Preferred,
    Required,
    VerifyCa,
    VerifyIdentity,
}

/// Where the server is: the password's exposure without TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reach {
    /// A unix socket (no TLS there, none needed).
    Socket(PathBuf),
    /// A loopback address.
    Loopback,
    /// Any other host.
    Remote,
}

/// The admin URL, parsed; holds the admin's password.
struct AdminUrl {
    user: String,
    password: SecretValue,
    host: String,
    port: u16,
    reach: Reach,
    /// The account a unix socket's or loopback port's listener must run
    /// as (`requirepeer=`; else root or the caller).
    peer: Option<RequiredPeer>,
    /// A loopback port reached without a checked certificate: its
    /// listener is checked first (`peer::check_loopback`).
    check_listener: bool,
    /// `None`: no TLS.
    ssl: Option<SslOpts>,
}

fn refuse(message: impl Into<String>) -> StepError {
    StepError(format!("admin URL: {}", message.into()))
}

fn decode(text: &str) -> Result<String, StepError> {
    // Errors name no part of the URL: any part may hold the password.
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| refuse("a percent-encoded part is not UTF-8"))
}

fn loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

impl AdminUrl {
    /// Parses and checks the URL before any connection: a password never
    /// leaves without TLS for a host that is not the unix socket or
    /// loopback, whatever `ssl-mode` says.
    fn parse(url: &SecretValue) -> Result<AdminUrl, StepError> {
        let text = url.expose().trim();
        let rest = ["mysql://", "mariadb://"]
            .iter()
            .find_map(|p| text.strip_prefix(p))
            .ok_or_else(|| refuse("not a mysql:// or mariadb:// URL"))?;
        // The userinfo ends at the first `@`: a password holding `@`, `/`
        // or `?` must be percent-encoded.
        let (userinfo, rest) = rest
            .split_once('@')
            .ok_or_else(|| refuse("no user (mysql://USER:PASSWORD@HOST/)"))?;
        let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
        let (hostport, query) = match rest.split_once('?') {
            Some((h, q)) => (h, q),
            None => (rest, ""),
        };
        let hostport = hostport.split('/').next().unwrap_or("");
        let (host, port) = match hostport.strip_prefix('[') {
            Some(v6) => {
                let (h, p) = v6
                    .split_once(']')
                    .ok_or_else(|| refuse("an IPv6 host without its `]`"))?;
                (h, p.strip_prefix(':'))
            }
            None => match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            },
        };
        let port = match port {
            None | Some("") => 3306,
            Some(p) => p.parse().map_err(|_| refuse("the port is not a number"))?,
        };
        let host = decode(host)?;
        let (mut mode, mut ca, mut socket, mut peer) = (None, None, None, None);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = decode(v)?;
            match decode(k)?.to_ascii_lowercase().replace('_', "-").as_str() {
                "ssl-mode" => {
                    mode = Some(match v.to_ascii_uppercase().as_str() {
                        "DISABLED" => SslMode::Disabled,
                        "PREFERRED" => SslMode::Preferred,
                        "REQUIRED" => SslMode::Required,
                        "VERIFY_CA" => SslMode::VerifyCa,
                        "VERIFY_IDENTITY" => SslMode::VerifyIdentity,
                        _ => return Err(refuse("ssl-mode is not one of DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY")),
                    })
                }
                "ssl-ca" if !v.is_empty() => ca = Some(PathBuf::from(v)),
                "socket" if !v.is_empty() => socket = Some(PathBuf::from(v)),
                "requirepeer" if !v.is_empty() => peer = Some(RequiredPeer::parse(&v).map_err(refuse)?),
                _ => return Err(refuse("a parameter other than ssl-mode, ssl-ca, socket or requirepeer (or an empty one)")),
            }
        }
        let reach = match socket {
            Some(path) => Reach::Socket(path),
            None if host.is_empty() => return Err(refuse("no host")),
            None if loopback(&host) => Reach::Loopback,
            None => Reach::Remote,
        };
        if let Some(ca) = &ca {
            // Read now, so a missing file is an error before any change.
            std::fs::metadata(ca).map_err(|e| refuse(format!("ssl-ca {}: {e}", ca.display())))?;
        }
        let tls = |skip_domain: bool, accept_any: bool| {
            let opts = SslOpts::default()
                .with_danger_skip_domain_validation(skip_domain)
                .with_danger_accept_invalid_certs(accept_any);
            Some(match &ca {
                Some(ca) => opts.with_root_cert_path(Some(ca.clone())),
                None => opts,
            })
        };
        let ssl = match (&reach, mode) {
            (Reach::Socket(_), _) => None,
            (Reach::Remote, Some(SslMode::Disabled)) => {
                return Err(refuse(format!(
                    "ssl-mode=DISABLED would send the login without TLS to {host}, which is not the unix socket or a loopback address; use TLS (ssl-mode=VERIFY_IDENTITY with ssl-ca=FILE)"
                )))
            }
            (Reach::Loopback, None | Some(SslMode::Disabled | SslMode::Preferred)) => None,
            // MySQL's REQUIRED: verified when a CA is given, else encrypted only.
            (_, Some(SslMode::Required | SslMode::Preferred)) => tls(true, ca.is_none()),
            (_, Some(SslMode::VerifyCa)) => tls(true, false),
            (_, None | Some(SslMode::VerifyIdentity)) => tls(false, false),
        };
        // Without TLS, or TLS that accepts any certificate, whoever holds
        // the loopback port gets the login (the scramble, crackable).
        let check_listener = reach == Reach::Loopback
            && (ssl.is_none()
                || (matches!(mode, Some(SslMode::Required | SslMode::Preferred)) && ca.is_none()));
        // Then the connection goes to the address checked, not to a name
        // resolved after the check (`localhost` may be ::1 first, and its
        // lookup tells a racing listener when to start).
        let host = match (check_listener, host.parse::<IpAddr>()) {
            (true, Err(_)) => "127.0.0.1".to_owned(),
            _ => host,
        };
        Ok(AdminUrl {
            check_listener,
            user: decode(user)?,
            password: SecretValue::new(decode(password)?),
            host,
            port,
            reach,
            peer,
            ssl,
        })
    }

    /// Options for a connection as `user` with `password`: over `socket`
    /// (a [`PinnedSocket::path`]), else the URL's host and port with its TLS.
    fn opts(&self, user: &str, password: &SecretValue, socket: Option<PathBuf>) -> OptsBuilder {
        let timeout = Some(Duration::from_secs(10));
        let base = OptsBuilder::new()
            .user(Some(user))
            .pass(Some(password.expose()))
            // The crate would otherwise move a loopback TCP connection to
            // the socket, where a different account (`@localhost`) matches.
            .prefer_socket(false)
            .tcp_connect_timeout(timeout)
            .read_timeout(timeout)
            .write_timeout(timeout);
        match socket {
            Some(path) => base.socket(Some(path.to_string_lossy())),
            None => base
                .ip_or_hostname(Some(self.host.clone()))
                .tcp_port(self.port)
                // Without TLS, a server asking caching_sha2_password's full
                // authentication would get the password encrypted to a
                // public key it sends itself (an impostor on the port
                // included): the crate reads the key from this path
                // instead, which does not exist, and sends nothing.
                .server_key_path(self.ssl.is_none().then(|| PathBuf::from(NO_SERVER_KEY)))
                .ssl_opts(self.ssl.clone()),
        }
    }
}

/// `*` and the upper-case hex of SHA1(SHA1(password)): what
/// `mysql_native_password` stores.
fn native_hash(password: &SecretValue) -> String {
    let once = Sha1::digest(password.expose().as_bytes());
    format!("*{}", hex::encode_upper(Sha1::digest(once)))
}

/// `user@host` split at the last `@` (a user name may hold `@`).
fn split_account(account: &str) -> Option<(&str, &str)> {
    account.rsplit_once('@')
}

/// Whether a name can go into a quoted SQL literal as it is (the manifest
/// refuses others; hosts read from the server are checked here).
fn plain_name(name: &str) -> bool {
    !name
        .chars()
        .any(|c| c.is_control() || matches!(c, '\'' | '\\' | '"' | '`'))
}

fn message(e: &mysql::Error) -> String {
    match e {
        mysql::Error::MySqlError(e) => e.message.clone(),
        other => other.to_string(),
    }
}

/// The server refused the login: wrong password, or no such account from
/// here (`ER_ACCESS_DENIED_ERROR`, `ER_ACCESS_DENIED_NO_PASSWORD_ERROR`).
fn refused(e: &mysql::Error) -> bool {
    matches!(e, mysql::Error::MySqlError(e) if e.code == 1045 || e.code == 1698)
}

/// A MariaDB/MySQL server reached through the administrator's URL.
pub(crate) struct MysqlEngine {
    url: AdminUrl,
    admin: Conn,
    /// `CURRENT_USER()` of the admin connection.
    admin_account: String,
    /// The server's socket, when it is on this host and its listener passed
    /// the check.
    socket: Option<PinnedSocket>,
    /// Each manifest entry's accounts (`app` → `app@%`, `app@localhost`).
    accounts: HashMap<String, Vec<String>>,
}

impl MysqlEngine {
    /// Checks the URL (TLS rules, before any connection) and connects as
    /// the administrator.
    pub(crate) fn connect(admin_url: &SecretValue) -> Result<MysqlEngine, StepError> {
        let url = AdminUrl::parse(admin_url)?;
        if url.check_listener {
            let ip = url.host.parse().expect("an address when checked");
            peer::check_loopback(ip, url.port, url.peer.as_ref()).map_err(refuse)?;
        }
        let pinned = match &url.reach {
            Reach::Socket(path) => {
                Some(PinnedSocket::pin(path, url.peer.as_ref()).map_err(refuse)?)
            }
            _ => None,
        };
        let opts = url.opts(
            &url.user,
            &url.password,
            pinned.as_ref().map(PinnedSocket::path),
        );
        let mut admin = Conn::new(opts).map_err(|e| {
            StepError(format!(
                "cannot connect as the administrator: {}",
                message(&e)
            ))
        })?;
        let admin_account: String = admin
            .query_first("SELECT CURRENT_USER()")
            .map_err(|e| StepError(message(&e)))?
            .unwrap_or_default();
        let socket = match &url.reach {
            Reach::Socket(_) => pinned,
            // The socket the server reports gets the same check; a socket
            // that fails it is not used (accounts `@localhost` are then
            // checked by their stored hash).
            Reach::Loopback => admin
                .query_first::<Option<String>, _>("SELECT @@socket")
                .ok()
                .flatten()
                .flatten()
                .filter(|s| !s.is_empty())
                .and_then(|s| PinnedSocket::pin(s.as_ref(), url.peer.as_ref()).ok()),
            Reach::Remote => None,
        };
        Ok(MysqlEngine {
            url,
            admin,
            admin_account,
            socket,
            accounts: HashMap::new(),
        })
    }

    fn concrete(&self, account: &str) -> Vec<String> {
        match self.accounts.get(account) {
            Some(list) => list.clone(),
            None => vec![account.to_owned()],
        }
    }

    fn set_hash(&mut self, account: &str, password: &SecretValue) -> Result<(), StepError> {
        let hash = native_hash(password);
        for one in self.concrete(account) {
            let (user, host) = split_account(&one).expect("expanded in check");
            let sql = format!(
                "ALTER USER '{user}'@'{host}' IDENTIFIED WITH mysql_native_password AS '{hash}'"
            );
            (self.admin)
                .query_drop(sql)
                .map_err(|e| StepError(format!("ALTER USER {one}: {}", message(&e))))?;
        }
        Ok(())
    }

    /// Whether one `user@host` account logs in with `password`.
    fn account_logs_in(
        &mut self,
        account: &str,
        password: &SecretValue,
    ) -> Result<bool, StepError> {
        let (user, host) = split_account(account).expect("expanded in check");
        // Which connection reaches this account: `@localhost` the socket,
        // `%` and loopback patterns a TCP login from here. Any other host
        // (a network pattern, a name) cannot be reached from here: the
        // server's stored hash is compared instead.
        let socket = match host {
            "localhost" => match &self.socket {
                Some(s) => Some(s.path()),
                None => return self.stored_hash_is(account, password),
            },
            "%" | "127.0.0.1" | "::1" => None,
            _ => return self.stored_hash_is(account, password),
        };
        if socket.is_none() && matches!(self.url.reach, Reach::Socket(_)) {
            // A socket admin URL gives no TCP port to try.
            return self.stored_hash_is(account, password);
        }
        let opts = self.url.opts(user, password, socket);
        match Conn::new(opts) {
            Ok(mut conn) => {
                let current: Option<String> = conn
                    .query_first("SELECT CURRENT_USER()")
                    .map_err(|e| StepError(message(&e)))?;
                match current.as_deref() == Some(account) {
                    true => Ok(true),
                    // The server matched a more specific account: this
                    // one is checked by its stored hash.
                    false => self.stored_hash_is(account, password),
                }
            }
            Err(e) if refused(&e) => Ok(false),
            Err(e) => Err(StepError(format!(
                "logging in as {account}: {}",
                message(&e)
            ))),
        }
    }

    fn stored_hash_is(&mut self, account: &str, password: &SecretValue) -> Result<bool, StepError> {
        let (user, host) = split_account(account).expect("expanded in check");
        let stored: Option<String> = (self.admin)
            .exec_first(
                "SELECT authentication_string FROM mysql.user WHERE User = ? AND Host = ?",
                (user, host),
            )
            .map_err(|e| StepError(message(&e)))?;
        Ok(stored.as_deref() == Some(native_hash(password).as_str()))
    }
}

impl Engine for MysqlEngine {
    fn name(&self) -> &'static str {
        "mysql"
    }

    fn check(&mut self, changes: &[AccountChange]) -> Result<(), StepError> {
        for c in changes {
            let list = match split_account(&c.account) {
                Some(_) => vec![c.account.clone()],
                None => {
                    let hosts: Vec<String> = (self.admin)
                        .exec(
                            "SELECT Host FROM mysql.user WHERE User = ? ORDER BY Host",
                            (&c.account,),
                        )
                        .map_err(|e| StepError(message(&e)))?;
                    hosts
                        .into_iter()
                        .map(|h| format!("{}@{h}", c.account))
                        .collect()
                }
            };
            if list.is_empty() {
                return Err(StepError(format!("user `{}` does not exist", c.account)));
            }
            for one in &list {
                let (user, host) = split_account(one).expect("user@host");
                if !plain_name(user) || !plain_name(host) {
                    return Err(StepError(format!(
                        "account `{}` holds a quote, a backslash or a control character",
                        one.escape_debug()
                    )));
                }
                let row: Option<(String, String, String, String)> = (self.admin)
                    .exec_first(
                        "SELECT plugin, Super_priv, Grant_priv, Create_user_priv FROM mysql.user WHERE User = ? AND Host = ?",
                        (user, host),
                    )
                    .map_err(|e| StepError(message(&e)))?;
                let Some((plugin, sup, grant, create_user)) = row else {
                    return Err(StepError(format!("account `{one}` does not exist")));
                };
                if !(plugin.is_empty() || plugin == "mysql_native_password") {
                    return Err(StepError(format!(
                        "account `{one}` authenticates with `{plugin}`; secrets changes only mysql_native_password accounts, whose hash it sends instead of the password (change it by hand and pass --server-changed)"
                    )));
                }
                if c.named_explicitly {
                    continue;
                }
                let why = if sup == "Y" {
                    Some("privileged (SUPER, or ALL on *.*)")
                } else if grant == "Y" {
                    Some("allowed to grant privileges (GRANT OPTION)")
                } else if create_user == "Y" {
                    Some("allowed to create users (CREATE USER)")
                } else if *one == self.admin_account {
                    Some("the admin connection's own account")
                } else {
                    None
                };
                if let Some(why) = why {
                    return Err(StepError(format!(
                        "account `{one}` is {why}; it is rotated only when the manifest names it with its host (`mysql_user = [\"{one}\"]`)"
                    )));
                }
            }
            self.accounts.insert(c.account.clone(), list);
        }
        Ok(())
    }

    fn set_new(&mut self, change: &AccountChange) -> Result<(), StepError> {
        self.set_hash(&change.account, &change.new)
    }

    fn restore_old(&mut self, change: &AccountChange) -> Result<(), StepError> {
        self.set_hash(&change.account, &change.old)
    }

    /// Every account the entry stands for logs in (see `account_logs_in`).
    fn logs_in(&mut self, account: &str, password: &SecretValue) -> Result<bool, StepError> {
        for one in self.concrete(account) {
            if !self.account_logs_in(&one, password)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn accounts(&self, change: &AccountChange) -> Vec<String> {
        self.concrete(&change.account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Result<AdminUrl, StepError> {
        AdminUrl::parse(&SecretValue::new(text.to_owned()))
    }

    #[test]
    fn the_native_hash_is_mysqls() {
        // SELECT PASSWORD('password') on MariaDB.
        assert_eq!(
            native_hash(&SecretValue::new("password".into())),
            "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"
        );
    }

    #[test]
    fn no_password_leaves_in_clear_for_a_remote_host() {
        let e = url("mysql://root:Secret@db.example:3306/?ssl-mode=DISABLED")
            .err()
            .unwrap();
        assert!(
            e.0.contains("not the unix socket or a loopback address"),
            "{e}"
        );
        assert!(!e.0.contains("Secret"));
        let remote = url("mysql://root:Secret@db.example/").unwrap();
        assert!(remote.ssl.is_some(), "TLS by default to a remote host");
        // Checked by its listener, `localhost` is connected to as 127.0.0.1:
        // no name is resolved after the check.
        assert_eq!(
            url("mysql://root:Secret@localhost:3307/").unwrap().host,
            "127.0.0.1"
        );
        let local = url("mysql://root:Secret@127.0.0.1:3307/").unwrap();
        assert_eq!(
            (local.reach, local.port, local.ssl.is_none()),
            (Reach::Loopback, 3307, true)
        );
        let socket =
            url("mariadb://root:S%40cret@localhost/?socket=/run/mysqld/mysqld.sock").unwrap();
        assert_eq!(socket.password.expose(), "S@cret");
        assert_eq!(
            socket.reach,
            Reach::Socket("/run/mysqld/mysqld.sock".into())
        );
        for bad in [
            "postgres://root:Secret@h/",
            "mysql://root:Secret@h/?sslmode=Secret",
            "mysql://root:Secret@h/?ssl-mode=Secret",
            "mysql://root:Secret@h:Secret/",
        ] {
            let e = url(bad).err().unwrap();
            assert!(!e.0.contains("Secret"), "{bad}: {e}");
        }
    }
}

//! Redis 6+ ACL users (`rotate --apply redis`, manifest `redis_user`).
//!
//! Redis holds several passwords per user, each as its SHA-256, so a
//! rotation has no moment where a client is refused: [`Engine::set_new`]
//! adds the new value beside the old one, the readers restart with it, and
//! [`Engine::retire_old`] removes the old one. Both send only the hash
//! (`ACL SETUSER user #<hex>` / `!<hex>`): the plaintext never crosses the
//! admin connection. Only the login check sends a password (`AUTH`), and
//! only over TLS, a unix socket or loopback, which [`RedisEngine::connect`]
//! settles from the URL before any connection.
//!
//! [`Engine::persist`] saves the ACL file (`ACL SAVE`) when the server has
//! one, else rewrites its config file (`CONFIG REWRITE`), else says the
//! change lives until the server restarts.

use std::fmt;
use std::net::IpAddr;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ::redis::{
    Client, Cmd, Connection, ConnectionAddr, ConnectionInfo, IntoConnectionInfo,
    RedisConnectionInfo, RedisError, TlsCertificates, Value,
};
use sha2::{Digest, Sha256};

use super::{AccountChange, Engine, StepError};
use crate::peer::{self, PinnedSocket, RequiredPeer};
use crate::SecretValue;

/// How long a connection, a command or a reply may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The largest CA file read.
const CA_LIMIT: u64 = 1 << 20;
/// The shapes the admin URL may take, for error messages.
const URL_FORMS: &str = "redis://USER:PASSWORD@127.0.0.1:6379, rediss://USER:PASSWORD@HOST:PORT[?cacert=/path/ca.pem] or unix:///PATH/redis.sock?user=USER&pass=PASSWORD, with requirepeer=ACCOUNT on a socket or loopback port another account serves";

/// Where the server is and how a password may travel to it.
#[derive(Clone)]
enum Transport {
    /// Plain TCP, to a loopback address only.
    Loopback { ip: IpAddr, port: u16 },
    /// TLS with the certificate checked: the system's roots, or the CA
    /// file the URL names (`cacert=`).
    Tls {
        host: String,
        port: u16,
        ca: Option<Vec<u8>>,
    },
    /// A unix socket, as the URL names it.
    Unix(PathBuf),
    /// The unix socket once its listener was checked: every connection
    /// reaches that listener and no other.
    Pinned(Arc<PinnedSocket>),
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Transport::Loopback { ip, port } => {
                write!(f, "redis at {}", std::net::SocketAddr::new(*ip, *port))
            }
            Transport::Tls { host, port, .. } => write!(f, "redis at {host}:{port} (TLS)"),
            Transport::Unix(path) => write!(f, "redis at {}", path.display()),
            Transport::Pinned(socket) => write!(f, "redis at {}", socket.shown().display()),
        }
    }
}

/// The admin URL, parsed: where, and as whom.
#[derive(Clone)]
struct Target {
    transport: Transport,
    user: Option<String>,
    password: Option<SecretValue>,
    /// Who must listen on the socket or loopback port (`requirepeer=`;
    /// else root or the caller).
    peer: Option<RequiredPeer>,
}

impl Target {
    /// Parses `url`; refuses, before any connection, a link on which a
    /// password would travel in clear beyond this machine. No message
    /// repeats the URL (it holds a password).
    fn parse(url: &SecretValue) -> Result<Target, StepError> {
        let bad = |why: &str| StepError(format!("the redis admin URL {why} ({URL_FORMS})"));
        let url = url::Url::parse(url.expose().trim()).map_err(|_| bad("is not a URL"))?;
        if url.fragment().is_some() {
            // The client crate reads `#insecure` as "skip the certificate check".
            return Err(bad("has a `#` fragment, which is not accepted (certificate checks cannot be turned off)"));
        }
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| bad("has a user or password that is not UTF-8 once percent-decoded"))
        };
        let (mut user, mut password) = (None, None);
        if !url.username().is_empty() {
            user = Some(decode(url.username())?);
        }
        if let Some(p) = url.password() {
            password = Some(SecretValue::new(decode(p)?));
        }
        let (mut cacert, mut peer) = (None, None);
        let unix = matches!(url.scheme(), "unix" | "redis+unix");
        for (name, value) in url.query_pairs() {
            match (&*name, unix) {
                ("user", true) => user = Some(value.into_owned()),
                ("pass", true) => password = Some(SecretValue::new(value.into_owned())),
                ("requirepeer", _) if url.scheme() != "rediss" => {
                    peer = Some(RequiredPeer::parse(&value).map_err(|e| bad(&e))?)
                }
                ("cacert", false) if url.scheme() == "rediss" => {
                    cacert = Some(PathBuf::from(&*value))
                }
                _ => {
                    return Err(bad(&format!(
                        "has a parameter `{name}` that is not understood here"
                    )))
                }
            }
        }
        let database = url.path().trim_start_matches('/');
        if !(unix || database.is_empty() || database.bytes().all(|b| b.is_ascii_digit())) {
            return Err(bad("has a path that is not a database number"));
        }
        let port = url.port().unwrap_or(6379);
        let transport = match url.scheme() {
            "unix" | "redis+unix" => {
                if url.host().is_some_and(|h| !h.to_string().is_empty()) {
                    return Err(bad("names a host for a unix socket (write unix:///PATH)"));
                }
                let path: Vec<u8> = percent_encoding::percent_decode_str(url.path()).collect();
                Transport::Unix(PathBuf::from(std::ffi::OsString::from_vec(path)))
            }
            "redis" => {
                let host = url.host().ok_or_else(|| bad("has no host"))?;
                let ip = match host {
                    url::Host::Ipv4(ip) => IpAddr::V4(ip),
                    url::Host::Ipv6(ip) => IpAddr::V6(ip),
                    // A redis:// host is opaque to the URL parser: an
                    // address is read here.
                    url::Host::Domain(d) if d.parse::<IpAddr>().is_ok() => {
                        d.parse().expect("checked")
                    }
                    // Never resolved: a name could lead anywhere.
                    url::Host::Domain(d) if d.eq_ignore_ascii_case("localhost") => {
                        IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
                    }
                    url::Host::Domain(d) => {
                        return Err(StepError(format!("redis:// sends passwords in clear, and {d} is not a loopback address: use rediss:// (TLS) or a unix socket; nothing was sent")))
                    }
                };
                if !ip.to_canonical().is_loopback() {
                    return Err(StepError(format!("redis:// sends passwords in clear, and {ip} is not a loopback address: use rediss:// (TLS) or a unix socket; nothing was sent")));
                }
                Transport::Loopback { ip, port }
            }
            "rediss" => {
                let host = url.host_str().ok_or_else(|| bad("has no host"))?;
                let host = host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_owned();
                let ca = match cacert {
                    None => None,
                    Some(path) => {
                        // The CA decides who gets the admin's password: read
                        // like a key file (root's or ours, nobody else's).
                        let pem = crate::safe_fs::read_trusted(&path, CA_LIMIT)
                            .map_err(|e| {
                                StepError(format!(
                                    "cacert {}: {}",
                                    path.display(),
                                    crate::one_line(&e)
                                ))
                            })?
                            .ok_or_else(|| {
                                StepError(format!("cacert {}: no such file", path.display()))
                            })?;
                        Some(pem.as_slice().to_vec())
                    }
                };
                Transport::Tls { host, port, ca }
            }
            other => return Err(bad(&format!("has the scheme `{other}`"))),
        };
        Ok(Target {
            transport,
            user,
            password,
            peer,
        })
    }

    /// A fresh connection, logged in as `login` when given.
    fn open(&self, login: Option<(&str, &SecretValue)>) -> Result<Connection, RedisError> {
        let addr = match &self.transport {
            Transport::Loopback { ip, port } => ConnectionAddr::Tcp(ip.to_string(), *port),
            Transport::Tls { host, port, .. } => ConnectionAddr::TcpTls {
                host: host.clone(),
                port: *port,
                insecure: false,
                tls_params: None,
            },
            Transport::Pinned(socket) => ConnectionAddr::Unix(socket.path()),
            Transport::Unix(..) => unreachable!("pinned in RedisEngine::connect"),
        };
        let mut settings = RedisConnectionInfo::default().set_skip_set_lib_name();
        if let Some((user, password)) = login {
            settings = settings.set_username(user).set_password(password.expose());
        }
        let info: ConnectionInfo = addr.into_connection_info()?.set_redis_settings(settings);
        let client = match &self.transport {
            Transport::Tls { ca: Some(pem), .. } => Client::build_with_tls(
                info,
                TlsCertificates {
                    client_tls: None,
                    root_cert: Some(pem.clone()),
                },
            )?,
            _ => Client::open(info)?,
        };
        let con = client.get_connection_with_timeout(TIMEOUT)?;
        con.set_read_timeout(Some(TIMEOUT))?;
        con.set_write_timeout(Some(TIMEOUT))?;
        Ok(con)
    }
}

/// A Redis 6+ server whose ACL users' passwords `rotate --apply redis`
/// changes, through the admin connection.
pub(crate) struct RedisEngine {
    target: Target,
    admin: Connection,
    /// The admin connection's own user (`ACL WHOAMI`).
    admin_user: String,
}

impl fmt::Debug for RedisEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisEngine")
            .field("server", &self.target.transport.to_string())
            .field("admin_user", &self.admin_user)
            .finish_non_exhaustive()
    }
}

/// The SHA-256 form Redis stores and `ACL SETUSER` accepts (`#<hex>`).
fn password_hash(password: &SecretValue) -> String {
    hex::encode(Sha256::digest(password.expose().as_bytes()))
}

/// A redis error in words, never a value: the server's error code and
/// detail (Redis never echoes a password in one), or the kind of failure.
fn described(e: &RedisError) -> String {
    match (e.code(), e.detail()) {
        (Some(code), Some(detail)) => format!("{code} {detail}"),
        (Some(code), None) => code.to_owned(),
        _ if e.is_io_error() => format!("{}: {}", e.category(), e),
        _ => e.category().to_owned(),
    }
}

/// What `ACL GETUSER` says about one user.
#[derive(Debug, Default)]
struct AclUser {
    flags: Vec<String>,
    /// The SHA-256 hex of each password it accepts.
    passwords: Vec<String>,
    /// Its command rules, as `ACL LIST` writes them (`+@all -debug`).
    commands: String,
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        Value::VerbatimString { text, .. } => Some(text.clone()),
        Value::Okay => Some("OK".into()),
        _ => None,
    }
}

fn texts(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) | Value::Set(items) => items.iter().filter_map(text).collect(),
        _ => Vec::new(),
    }
}

impl AclUser {
    /// Parses a reply of `ACL GETUSER` (a flat list of names and values in
    /// RESP2, a map in RESP3); `None` for nil (no such user).
    fn from_reply(v: &Value) -> Option<AclUser> {
        let pairs: Vec<(&Value, &Value)> = match v {
            Value::Nil => return None,
            Value::Array(items) => items
                .chunks(2)
                .filter_map(|c| Some((c.first()?, c.get(1)?)))
                .collect(),
            Value::Map(m) => m.iter().map(|(k, v)| (k, v)).collect(),
            _ => return Some(AclUser::default()),
        };
        let mut user = AclUser::default();
        for (k, v) in pairs {
            match text(k).as_deref() {
                Some("flags") => user.flags = texts(v),
                Some("passwords") => user.passwords = texts(v),
                Some("commands") => user.commands = text(v).unwrap_or_default(),
                _ => {}
            }
        }
        Some(user)
    }
}

/// Whether command rules (`ACL GETUSER`'s `commands`) let a user run
/// administrative or dangerous commands, read without `ACL DRYRUN` (Redis
/// 6). Fail closed: any rule that adds `@all`, `@admin`, `@dangerous`, or a
/// command of theirs, counts, even where a later rule takes it away again.
fn rules_privileged(commands: &str) -> bool {
    const ADMIN: &[&str] = &[
        "acl",
        "config",
        "shutdown",
        "debug",
        "module",
        "replicaof",
        "slaveof",
        "sync",
        "psync",
        "save",
        "bgsave",
        "bgrewriteaof",
        "flushall",
        "flushdb",
        "failover",
        "monitor",
        "cluster",
        "client",
        "migrate",
        "restore",
        "sort",
        "keys",
        "swapdb",
        "latency",
        "slowlog",
        "lastsave",
        "info",
        "role",
        "pfdebug",
        "pfselftest",
        "replconf",
        "cluster",
        "sentinel",
    ];
    commands.split_whitespace().any(|rule| {
        let rule = rule.to_ascii_lowercase();
        match rule.strip_prefix('+') {
            _ if rule == "allcommands" => true,
            Some(added) => {
                let base = added.split('|').next().unwrap_or(added);
                matches!(added, "@all" | "@admin" | "@dangerous") || ADMIN.contains(&base)
            }
            None => false,
        }
    })
}

/// Commands that only a privileged user may run: `ACL DRYRUN` asks whether
/// the account could (Redis 7+).
const PRIVILEGED_PROBES: &[&[&str]] = &[
    &["ACL", "SETUSER", "probe"],
    &["CONFIG", "SET", "dir", "/"],
    &["SHUTDOWN"],
    &["FLUSHALL"],
    &["DEBUG", "SLEEP", "0"],
    &["MODULE", "LIST"],
    &["REPLICAOF", "NO", "ONE"],
];

impl RedisEngine {
    /// Connects to the server the admin URL names (`redis://USER:PW@127.0.0.1:6379`,
    /// `rediss://…`, `unix:///PATH?user=…&pass=…`), refusing before any
    /// connection a link on which a password would travel in clear beyond
    /// this machine (TCP without TLS to anything but a loopback address).
    pub(crate) fn connect(admin_url: &SecretValue) -> Result<RedisEngine, StepError> {
        let mut target = Target::parse(admin_url)?;
        match &target.transport {
            Transport::Unix(path) => {
                let socket = PinnedSocket::pin(path, target.peer.as_ref())
                    .map_err(|e| StepError(format!("redis admin URL: {e}")))?;
                target.transport = Transport::Pinned(Arc::new(socket));
            }
            // AUTH goes in clear: only to a listener that passes.
            Transport::Loopback { ip, port } => {
                peer::check_loopback(*ip, *port, target.peer.as_ref())
                    .map_err(|e| StepError(format!("redis admin URL: {e}")))?
            }
            Transport::Tls { .. } | Transport::Pinned(_) => {}
        }
        let login = match (&target.user, &target.password) {
            (user, Some(p)) => Some((user.as_deref().unwrap_or("default"), p)),
            (_, None) => None,
        };
        let mut admin = target.open(login).map_err(|e| {
            StepError(format!(
                "cannot reach {} as the admin user: {}",
                target.transport,
                described(&e)
            ))
        })?;
        let admin_user: String = ::redis::cmd("ACL")
            .arg("WHOAMI")
            .query(&mut admin)
            .map_err(|e| {
                StepError(format!(
                    "{} has no ACL users (Redis 6 or later is needed for --apply redis): {}",
                    target.transport,
                    described(&e)
                ))
            })?;
        Ok(RedisEngine {
            target,
            admin,
            admin_user,
        })
    }

    fn query<T: ::redis::FromRedisValue>(&mut self, cmd: &Cmd, what: &str) -> Result<T, StepError> {
        cmd.query(&mut self.admin).map_err(|e| {
            StepError(format!(
                "{what} on {}: {}",
                self.target.transport,
                described(&e)
            ))
        })
    }

    fn get_user(&mut self, account: &str) -> Result<Option<AclUser>, StepError> {
        let reply: Value = self.query(
            ::redis::cmd("ACL").arg("GETUSER").arg(account),
            &format!("ACL GETUSER {account}"),
        )?;
        Ok(AclUser::from_reply(&reply))
    }

    /// The server's major version (`INFO server`'s `redis_version`).
    fn info_server(&mut self) -> Result<String, StepError> {
        self.query(::redis::cmd("INFO").arg("server"), "INFO server")
    }

    /// Whether `account` may run administrative or dangerous commands.
    fn privileged(
        &mut self,
        account: &str,
        user: &AclUser,
        dryrun: bool,
    ) -> Result<bool, StepError> {
        if account == self.admin_user || rules_privileged(&user.commands) {
            return Ok(true);
        }
        if !dryrun {
            return Ok(false);
        }
        for probe in PRIVILEGED_PROBES {
            let reply: Value = self.query(
                ::redis::cmd("ACL").arg("DRYRUN").arg(account).arg(*probe),
                &format!("ACL DRYRUN {account}"),
            )?;
            if matches!(reply, Value::Okay) || text(&reply).as_deref() == Some("OK") {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// `ACL SETUSER account RULE` (`#hex` adds a password by its hash,
    /// `!hex` removes one). The user must exist: SETUSER would create it.
    fn set_user(&mut self, account: &str, rule: String, what: &str) -> Result<(), StepError> {
        if self.get_user(account)?.is_none() {
            return Err(StepError(format!(
                "ACL user `{account}` no longer exists on {}: {what} not done",
                self.target.transport
            )));
        }
        let _: () = self.query(
            ::redis::cmd("ACL").arg("SETUSER").arg(account).arg(rule),
            &format!("{what} (ACL SETUSER {account})"),
        )?;
        Ok(())
    }

    /// The passwords (hashes) `account` accepts now.
    fn passwords(&mut self, account: &str) -> Result<Vec<String>, StepError> {
        Ok(self
            .get_user(account)?
            .ok_or_else(|| {
                StepError(format!(
                    "ACL user `{account}` no longer exists on {}",
                    self.target.transport
                ))
            })?
            .passwords)
    }
}

/// `INFO` field `name` (`redis_version:7.0.15`).
fn info_field<'a>(info: &'a str, name: &str) -> Option<&'a str> {
    info.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
}

impl Engine for RedisEngine {
    fn name(&self) -> &'static str {
        "redis"
    }

    fn check(&mut self, changes: &[AccountChange]) -> Result<(), StepError> {
        let info = self.info_server()?;
        let version = info_field(&info, "redis_version").unwrap_or("unknown");
        let major: u32 = version
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        if major < 6 {
            return Err(StepError(format!("{} runs Redis {version}: --apply redis needs Redis 6 or later (ACL users); nothing was changed", self.target.transport)));
        }
        for change in changes {
            let account = change.account.as_str();
            let key = &change.key;
            let user = self.get_user(account)?.ok_or_else(|| {
                StepError(format!(
                    "{key}: ACL user `{account}` does not exist on {}; nothing was changed",
                    self.target.transport
                ))
            })?;
            if user.flags.iter().any(|f| f == "nopass") {
                return Err(StepError(format!("{key}: ACL user `{account}` is `nopass` (any password logs in): a password added now would refuse its clients; nothing was changed")));
            }
            if user.flags.iter().any(|f| f == "off") {
                return Err(StepError(format!("{key}: ACL user `{account}` is disabled (`off`): the new password could not be checked; nothing was changed")));
            }
            let (old, new) = (password_hash(&change.old), password_hash(&change.new));
            if !user.passwords.iter().any(|p| *p == old || *p == new) {
                return Err(StepError(format!("{key}: ACL user `{account}` does not accept the value the .env holds now: the server and the .env already disagree; nothing was changed")));
            }
            if !change.named_explicitly && self.privileged(account, &user, major >= 7)? {
                let why = if account == self.admin_user {
                    "the admin connection's own user".to_owned()
                } else {
                    "privileged (it may run @admin or @dangerous commands)".to_owned()
                };
                return Err(StepError(format!("{key}: ACL user `{account}` is {why}; it is rotated only when the manifest names it (`redis_user = \"{account}\"`); nothing was changed")));
            }
        }
        Ok(())
    }

    fn set_new(&mut self, change: &AccountChange) -> Result<(), StepError> {
        let rule = format!("#{}", password_hash(&change.new));
        self.set_user(
            &change.account,
            rule,
            &format!("{}: adding the new password", change.key),
        )
    }

    fn restore_old(&mut self, change: &AccountChange) -> Result<(), StepError> {
        let (old, new) = (password_hash(&change.old), password_hash(&change.new));
        let held = self.passwords(&change.account)?;
        let what = format!("{}: restoring the old password", change.key);
        if !held.contains(&old) {
            self.set_user(&change.account, format!("#{old}"), &what)?;
        }
        if old != new && held.contains(&new) {
            self.set_user(&change.account, format!("!{new}"), &what)?;
        }
        Ok(())
    }

    fn logs_in(&mut self, account: &str, password: &SecretValue) -> Result<bool, StepError> {
        let mut con = self.target.open(None).map_err(|e| {
            StepError(format!(
                "cannot reach {} to check the login of `{account}`: {}",
                self.target.transport,
                described(&e)
            ))
        })?;
        match ::redis::cmd("AUTH")
            .arg(account)
            .arg(password.expose())
            .query::<()>(&mut con)
        {
            Ok(()) => Ok(true),
            Err(e) if e.code() == Some("WRONGPASS") => Ok(false),
            Err(e) => Err(StepError(format!(
                "checking the login of `{account}` on {}: {}",
                self.target.transport,
                described(&e)
            ))),
        }
    }

    fn retire_old(&mut self, change: &AccountChange) -> Result<(), StepError> {
        let (old, new) = (password_hash(&change.old), password_hash(&change.new));
        if old == new || !self.passwords(&change.account)?.contains(&old) {
            return Ok(());
        }
        self.set_user(
            &change.account,
            format!("!{old}"),
            &format!("{}: removing the old password", change.key),
        )
    }

    fn persist(&mut self) -> Result<Option<String>, StepError> {
        let aclfile: Vec<String> = self.query(
            ::redis::cmd("CONFIG").arg("GET").arg("aclfile"),
            "CONFIG GET aclfile",
        )?;
        if aclfile.get(1).is_some_and(|f| !f.is_empty()) {
            let _: () = self.query(::redis::cmd("ACL").arg("SAVE"), "ACL SAVE")?;
            return Ok(None);
        }
        let info = self.info_server()?;
        if info_field(&info, "config_file").is_some_and(|f| !f.is_empty()) {
            let _: () = self.query(::redis::cmd("CONFIG").arg("REWRITE"), "CONFIG REWRITE")?;
            return Ok(None);
        }
        Ok(Some(format!(
            "{} has neither an ACL file nor a config file: the new passwords live until the server restarts, when it forgets them; add them to how the server is started",
            self.target.transport
        )))
    }
}

#[cfg(test)]
mod tests;

//! TLS to PostgreSQL with libpq's `sslmode` rules, through rustls.
//!
//! `tokio-postgres` knows only `sslmode=disable|prefer|require`, checks no
//! certificate itself and rejects `verify-ca`, `verify-full` and
//! `sslrootcert`; so [`split`] takes `sslmode`, `sslrootcert` and
//! `channel_binding` out of the connection string before `postgres::Config`
//! sees it, [`Settings::new`] decides how to connect, and the rustls
//! verifier does what libpq's mode asks:
//!
//! | sslmode | TLS | certificate |
//! | --- | --- | --- |
//! | `disable` | never | - |
//! | `allow`, `prefer` (default) | tried first; plaintext only to a unix socket or loopback | as `require` |
//! | `require` | required | none, or as `verify-ca` when a root file exists (libpq's rule) |
//! | `verify-ca` | required | chain to `sslrootcert` |
//! | `verify-full` | required | chain to `sslrootcert`, and the host name |
//!
//! Over TLS every login is SCRAM-SHA-256-PLUS (`channel_binding=require`),
//! so neither a cleartext nor an MD5 password request is ever answered.
//! Without TLS a password goes only to a unix socket or a loopback address,
//! unless `sslmode=disable` says plaintext is accepted.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use postgres::config::Host;
use postgres::Config;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use zeroize::Zeroizing;

use crate::peer::RequiredPeer;

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Option<SslMode> {
        Some(match value {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// libpq's `channel_binding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Binding {
    Disable,
    Prefer,
    Require,
}

/// The parameters [`split`] took out of a connection string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Params {
    pub(crate) mode: SslMode,
    pub(crate) root_cert: Option<PathBuf>,
    pub(crate) binding: Binding,
    /// libpq's `requirepeer`: the account a unix socket's listener must
    /// run as (see `crate::peer`).
    pub(crate) peer: Option<RequiredPeer>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            mode: SslMode::Prefer,
            root_cert: None,
            binding: Binding::Prefer,
            peer: None,
        }
    }
}

/// Why a connection string was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SplitError {
    /// It does not parse (the details could quote the password).
    Syntax,
    /// A TLS parameter has a value this program does not take.
    Param(String),
}

impl Params {
    /// Takes `key=value` if it is one of ours.
    fn take(&mut self, key: &str, value: &str) -> Result<bool, SplitError> {
        match key {
            // Refused values are not quoted: the URL holds a password, and
            // a mistyped separator can put it (or part of it) here.
            "sslmode" => {
                self.mode = SslMode::parse(value).ok_or_else(|| {
                    SplitError::Param(
                        "sslmode is not one of disable, allow, prefer, require, verify-ca, verify-full"
                            .into(),
                    )
                })?;
            }
            "sslrootcert" => {
                if value.is_empty() {
                    return Err(SplitError::Param("sslrootcert is empty".into()));
                }
                if value == "system" {
                    return Err(SplitError::Param(
                        "sslrootcert=system (the system's CA store) is not supported: give the CA certificate's PEM file".into(),
                    ));
                }
                self.root_cert = Some(PathBuf::from(value));
            }
            // As libpq, it applies to unix sockets only.
            "requirepeer" => {
                self.peer = Some(RequiredPeer::parse(value).map_err(SplitError::Param)?);
            }
            "channel_binding" => {
                self.binding = match value {
                    "disable" => Binding::Disable,
                    "prefer" => Binding::Prefer,
                    "require" => Binding::Require,
                    _ => {
                        return Err(SplitError::Param(
                            "channel_binding is not one of disable, prefer, require".into(),
                        ))
                    }
                };
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

fn decode(text: &str) -> Result<String, SplitError> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| SplitError::Syntax)
}

/// Splits `sslmode`, `sslrootcert` and `channel_binding` off a connection
/// string (URL or `key=value` form), scanning it as `tokio-postgres` does so
/// that both read the same parameters; the rest, password included, is
/// returned unchanged for `postgres::Config`. Later parameters override
/// earlier ones, as in libpq.
pub(crate) fn split(text: &str) -> Result<(Zeroizing<String>, Params), SplitError> {
    let prefix = ["postgres://", "postgresql://"]
        .into_iter()
        .find(|p| text.starts_with(p));
    match prefix {
        Some(p) => split_url(text, p.len()),
        None => split_key_values(text),
    }
}

fn split_url(text: &str, prefix: usize) -> Result<(Zeroizing<String>, Params), SplitError> {
    let mut params = Params::default();
    let body = &text[prefix..];
    // tokio-postgres ends the userinfo at the first `@` anywhere, so a `?` in
    // an unencoded password is not the query's start.
    let after_userinfo = body.find('@').map_or(0, |i| i + 1);
    let Some(q) = body[after_userinfo..].find('?').map(|i| after_userinfo + i) else {
        return Ok((Zeroizing::new(text.to_owned()), params));
    };
    let mut query = &body[q + 1..];
    let mut kept: Vec<&str> = Vec::new();
    while !query.is_empty() {
        // As tokio-postgres: the key runs to the next `=`, the value to the next `&`.
        let eq = query.find('=').ok_or(SplitError::Syntax)?;
        let rest = &query[eq + 1..];
        let (value, next) = match rest.find('&') {
            Some(a) => (&rest[..a], &rest[a + 1..]),
            None => (rest, ""),
        };
        let segment = &query[..eq + 1 + value.len()];
        if !params.take(&decode(&query[..eq])?, &decode(value)?)? {
            kept.push(segment);
        }
        query = next;
    }
    let mut rest = Zeroizing::new(String::with_capacity(text.len()));
    rest.push_str(&text[..prefix + q]);
    for (i, segment) in kept.iter().enumerate() {
        rest.push(if i == 0 { '?' } else { '&' });
        rest.push_str(segment);
    }
    Ok((rest, params))
}

fn split_key_values(text: &str) -> Result<(Zeroizing<String>, Params), SplitError> {
    let mut params = Params::default();
    let mut kept: Vec<&str> = Vec::new();
    let mut chars = text.char_indices().peekable();
    let skip_ws = |chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>| {
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
    };
    let at = |chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>| {
        chars.peek().map_or(text.len(), |&(i, _)| i)
    };
    loop {
        skip_ws(&mut chars);
        let start = at(&mut chars);
        while chars
            .next_if(|&(_, c)| !c.is_whitespace() && c != '=')
            .is_some()
        {}
        let key = &text[start..at(&mut chars)];
        if key.is_empty() {
            break;
        }
        skip_ws(&mut chars);
        if chars.next_if(|&(_, c)| c == '=').is_none() {
            return Err(SplitError::Syntax);
        }
        skip_ws(&mut chars);
        // A value: quoted ('...' with backslash escapes) or up to whitespace.
        let mut value = Zeroizing::new(String::new());
        let quoted = chars.next_if(|&(_, c)| c == '\'').is_some();
        loop {
            match chars.peek() {
                Some(&(_, '\'')) if quoted => {
                    chars.next();
                    break;
                }
                Some(&(_, c)) if !quoted && c.is_whitespace() => break,
                None if quoted => return Err(SplitError::Syntax),
                None => break,
                Some(&(_, c)) => {
                    chars.next();
                    if c == '\\' {
                        if let Some((_, escaped)) = chars.next() {
                            value.push(escaped);
                        }
                    } else {
                        value.push(c);
                    }
                }
            }
        }
        if !quoted && value.is_empty() {
            return Err(SplitError::Syntax);
        }
        if !params.take(key, &value)? {
            kept.push(&text[start..at(&mut chars)]);
        }
    }
    let mut rest = Zeroizing::new(String::with_capacity(text.len()));
    for (i, pair) in kept.iter().enumerate() {
        if i > 0 {
            rest.push(' ');
        }
        rest.push_str(pair);
    }
    Ok((rest, params))
}

/// Where the connection goes: the password's exposure without TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reach {
    /// Unix sockets only (PostgreSQL has no TLS on them).
    Unix,
    /// Loopback addresses only (127.0.0.0/8, ::1, `localhost`).
    Loopback,
    /// At least one other host: the first such.
    Remote(String),
}

fn loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

/// Classifies the hosts `config` connects to (`hostaddr` before `host`,
/// as tokio-postgres connects).
pub(crate) fn reach(config: &Config) -> Result<Reach, String> {
    let (hosts, addrs) = (config.get_hosts(), config.get_hostaddrs());
    let mut unix = false;
    let mut tcp = false;
    let mut remote = None;
    for i in 0..hosts.len().max(addrs.len()) {
        let local = match (addrs.get(i), hosts.get(i)) {
            (Some(ip), _) => {
                tcp = true;
                loopback(*ip).then_some(()).ok_or_else(|| ip.to_string())
            }
            (None, Some(Host::Unix(_))) => {
                unix = true;
                Ok(())
            }
            (None, Some(Host::Tcp(name))) => {
                tcp = true;
                let is_local = name.eq_ignore_ascii_case("localhost")
                    || name.parse::<IpAddr>().is_ok_and(loopback);
                is_local.then_some(()).ok_or_else(|| name.clone())
            }
            (None, None) => unreachable!("i < max(len, len)"),
        };
        if let Err(host) = local {
            remote.get_or_insert(host);
        }
    }
    match (unix, tcp, remote) {
        (false, false, _) => Err("the admin URL names no host".into()),
        (true, true, _) => Err(
            "the admin URL mixes unix sockets and TCP hosts, which take different TLS rules".into(),
        ),
        (_, _, Some(host)) => Ok(Reach::Remote(host)),
        (true, false, None) => Ok(Reach::Unix),
        (false, true, None) => Ok(Reach::Loopback),
    }
}

/// How to connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    /// Without TLS.
    Plain,
    /// With TLS and channel binding; `fallback`: plaintext if the server
    /// answers that it has no TLS.
    Tls { fallback: bool },
}

/// The transport libpq's rules and ours give `params` for `reach`.
pub(crate) fn transport(params: &Params, reach: &Reach) -> Result<Transport, String> {
    let mode = params.mode;
    let local = !matches!(reach, Reach::Remote(_));
    let chosen = match (reach, mode) {
        // libpq ignores sslmode on unix sockets; so do we.
        (Reach::Unix, _) | (_, SslMode::Disable) => Transport::Plain,
        (Reach::Remote(host), SslMode::Allow) => {
            return Err(format!(
                "sslmode=allow sends the password without TLS first, and {host} is not a unix socket or a loopback address: use sslmode=verify-full (or require), or sslmode=disable to accept plaintext"
            ))
        }
        // To a remote host, prefer means require: a password never crosses
        // the network in plaintext without sslmode=disable.
        (_, SslMode::Allow | SslMode::Prefer) => Transport::Tls {
            fallback: local && params.binding != Binding::Require,
        },
        (_, SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull) => {
            Transport::Tls { fallback: false }
        }
    };
    match (chosen, params.binding) {
        (Transport::Plain, Binding::Require) => Err(format!(
            "channel_binding=require needs TLS, and {} gives none",
            if *reach == Reach::Unix {
                "a unix socket"
            } else {
                "sslmode=disable"
            }
        )),
        (Transport::Tls { .. }, Binding::Disable) => Err(
            "channel_binding=disable is not supported: over TLS secrets logs in only with SCRAM-SHA-256-PLUS, which never lets the server ask for the password in clear".into(),
        ),
        _ => Ok(chosen),
    }
}

/// The largest CA file read.
const ROOT_CERT_LIMIT: u64 = 1 << 20;

/// The CA file decides which server gets the administrator's login, so it
/// is read like a key file ([`crate::safe_fs::read_trusted`]): root's or
/// the caller's, in directories nobody else can change, its type checked
/// before it is opened (a FIFO or device is never opened).
fn read_roots(path: &Path) -> Result<RootCertStore, String> {
    let shown = path.display();
    let pem = crate::safe_fs::read_trusted(path, ROOT_CERT_LIMIT)
        .map_err(|e| format!("sslrootcert: {}", crate::one_line(&e)))?
        .ok_or_else(|| format!("sslrootcert {shown}: no such file"))?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| format!("sslrootcert {shown}: {e}"))?;
        roots
            .add(cert)
            .map_err(|e| format!("sslrootcert {shown}: {e}"))?;
    }
    if roots.is_empty() {
        return Err(format!("sslrootcert {shown} holds no PEM certificate"));
    }
    Ok(roots)
}

/// libpq's default root file, `~/.postgresql/root.crt`.
fn default_root_cert() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| Path::new(&h).join(".postgresql/root.crt"))
}

/// verify-ca: the chain to a trusted root, not the name.
#[derive(Debug)]
struct ChainOnly {
    roots: RootCertStore,
    provider: Arc<CryptoProvider>,
}

/// prefer/require without a root file: encryption against passive
/// eavesdropping only (channel binding still stops a relaying SCRAM).
#[derive(Debug)]
struct EncryptOnly {
    provider: Arc<CryptoProvider>,
}

trait Signatures {
    fn provider(&self) -> &CryptoProvider;
}

impl Signatures for ChainOnly {
    fn provider(&self) -> &CryptoProvider {
        &self.provider
    }
}

impl Signatures for EncryptOnly {
    fn provider(&self) -> &CryptoProvider {
        &self.provider
    }
}

macro_rules! handshake_signatures {
    () => {
        // The handshake's own signatures are always verified: they bind the
        // session to the certificate that channel binding hashes.
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls12_signature(
                message,
                cert,
                dss,
                &self.provider().signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls13_signature(
                message,
                cert,
                dss,
                &self.provider().signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.provider()
                .signature_verification_algorithms
                .supported_schemes()
        }
    };
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        rustls::client::verify_server_cert_signed_by_trust_anchor(
            &ParsedCertificate::try_from(end_entity)?,
            &self.roots,
            intermediates,
            now,
            self.provider.signature_verification_algorithms.all,
        )?;
        Ok(ServerCertVerified::assertion())
    }

    handshake_signatures!();
}

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    handshake_signatures!();
}

/// The rustls client configuration for `params`, reading the root file,
/// and whether it checks the server's certificate (a root file is given
/// or found; without one, prefer and require only encrypt).
fn client_config(params: &Params) -> Result<(ClientConfig, bool), String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?;
    // libpq: an explicit sslrootcert, else ~/.postgresql/root.crt if it exists.
    let root_file = params
        .root_cert
        .clone()
        .or_else(|| default_root_cert().filter(|p| p.exists()));
    let mode = params.mode;
    let verified = root_file.is_some();
    let mut config = match (mode, root_file) {
        (SslMode::VerifyCa | SslMode::VerifyFull, None) => {
            return Err(format!(
                "sslmode={} needs the server's CA certificate: add sslrootcert=FILE (PEM){}",
                mode.name(),
                default_root_cert()
                    .map(|p| format!(", or put it in {}", p.display()))
                    .unwrap_or_default()
            ))
        }
        (SslMode::VerifyFull, Some(file)) => builder
            .with_root_certificates(read_roots(&file)?)
            .with_no_client_auth(),
        // libpq: require (and prefer) with a root file verify as verify-ca.
        (_, Some(file)) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(ChainOnly {
                roots: read_roots(&file)?,
                provider,
            }))
            .with_no_client_auth(),
        (_, None) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly { provider }))
            .with_no_client_auth(),
    };
    // PostgreSQL 17's direct TLS negotiation requires this ALPN name; older
    // servers ignore it.
    config.alpn_protocols = vec![b"postgresql".to_vec()];
    Ok((config, verified))
}

/// How the admin URL's connections are made.
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) transport: Transport,
    pub(crate) mode: SslMode,
    remote: bool,
    /// The hosts, for messages.
    pub(crate) target: String,
    tls: Option<Arc<ClientConfig>>,
    /// Loopback hosts that may get a login without a checked certificate
    /// (plaintext, or TLS that only encrypts): whoever holds the port
    /// would get it, so its listener is checked first.
    pub(crate) unchecked_loopback: bool,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("transport", &self.transport)
            .field("mode", &self.mode)
            .field("remote", &self.remote)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Decides the transport for `config` (the URL without our parameters)
    /// and builds the TLS configuration, reading the root file now so that
    /// a bad one fails before anything changes.
    pub(crate) fn new(params: &Params, config: &Config) -> Result<Settings, String> {
        let reach = reach(config)?;
        let transport = transport(params, &reach)?;
        let (tls, verified) = match transport {
            Transport::Plain => (None, false),
            Transport::Tls { .. } => {
                let (config, verified) = client_config(params)?;
                (Some(Arc::new(config)), verified)
            }
        };
        Ok(Settings {
            unchecked_loopback: reach == Reach::Loopback
                && !(verified && transport == Transport::Tls { fallback: false }),
            transport,
            mode: params.mode,
            remote: matches!(reach, Reach::Remote(_)),
            target: target(config),
            tls,
        })
    }

    /// Connects over TLS, SCRAM-SHA-256-PLUS only; or without TLS.
    pub(crate) fn connect(
        &self,
        mut config: Config,
        tls: bool,
    ) -> Result<postgres::Client, postgres::Error> {
        match (&self.tls, tls) {
            (Some(tls), true) => {
                // Channel binding makes tokio-postgres refuse cleartext, MD5
                // and trust before sending anything: only SCRAM-SHA-256-PLUS.
                config
                    .ssl_mode(postgres::config::SslMode::Require)
                    .channel_binding(postgres::config::ChannelBinding::Require);
                tls_hostnames(&mut config);
                config.connect(tokio_postgres_rustls::MakeRustlsConnect::new(
                    ClientConfig::clone(tls),
                ))
            }
            _ => config
                .ssl_mode(postgres::config::SslMode::Disable)
                .connect(postgres::NoTls),
        }
    }
}

/// tokio-postgres takes the TLS name from `host`: with `hostaddr` alone
/// there is none, so the address is the name (libpq checks it the same way).
fn tls_hostnames(config: &mut Config) {
    if config.get_hosts().is_empty() {
        let addrs: Vec<IpAddr> = config.get_hostaddrs().to_vec();
        for a in addrs {
            config.host(&a.to_string());
        }
    }
}

fn target(config: &Config) -> String {
    let names: Vec<String> = if config.get_hostaddrs().is_empty() {
        config
            .get_hosts()
            .iter()
            .map(|h| match h {
                Host::Tcp(name) => name.clone(),
                Host::Unix(path) => path.display().to_string(),
            })
            .collect()
    } else {
        config
            .get_hostaddrs()
            .iter()
            .map(|a| a.to_string())
            .collect()
    };
    names.join(",")
}

/// Whether the server answered the TLS request with "no".
pub(crate) fn server_has_no_tls(e: &postgres::Error) -> bool {
    causes(e).any(|c| c.to_string() == "server does not support TLS")
}

fn causes<'a>(
    e: &'a postgres::Error,
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(std::error::Error::source(e), |c| c.source())
}

/// One line for a failed connection: the server's message, or what went
/// wrong with TLS or the login method. Never the password: neither
/// tokio-postgres nor rustls puts it in an error.
pub(crate) fn describe(e: &postgres::Error, settings: &Settings) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_owned();
    }
    for cause in causes(e) {
        // tokio-rustls wraps rustls' error in an io::Error, whose source()
        // skips it.
        let tls = cause
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .or_else(|| cause.downcast_ref::<rustls::Error>());
        if let Some(tls) = tls {
            return settings.handshake_failed(tls);
        }
        match cause.to_string().as_str() {
            "server does not support TLS" => return settings.no_tls(),
            "server did not use channel binding" | "unsupported SASL mechanism" => {
                return settings.no_channel_binding()
            }
            _ => {}
        }
    }
    e.to_string().replace('\n', " ")
}

impl Settings {
    fn handshake_failed(&self, e: &dyn fmt::Display) -> String {
        format!(
            "TLS handshake with {} failed (sslmode={}): {e}",
            self.target,
            self.mode.name()
        )
    }

    fn no_tls(&self) -> String {
        let target = &self.target;
        match self.mode {
            SslMode::Allow | SslMode::Prefer if self.remote => format!("{target} does not offer TLS, and without TLS a password goes only to a unix socket or a loopback address; add sslmode=disable to accept plaintext"),
            SslMode::Allow | SslMode::Prefer => format!("{target} does not offer TLS, which channel_binding=require needs"),
            mode => format!(
                "{target} does not offer TLS, which sslmode={} requires",
                mode.name()
            ),
        }
    }

    /// The refusal of any login over TLS but SCRAM-SHA-256-PLUS.
    pub(crate) fn no_channel_binding(&self) -> String {
        format!("{} did not offer SCRAM-SHA-256-PLUS (SCRAM with channel binding) over TLS; secrets refuses cleartext, MD5 and trust logins there (pg_hba.conf method scram-sha-256 does it)", self.target)
    }

    /// TLS over `tcp`, connected to the server `name`, after PostgreSQL's
    /// SSLRequest, for a login done by hand ([`super::login`]); with the
    /// `tls-server-end-point` channel binding data of the server's
    /// certificate. Only for a URL whose transport is TLS.
    pub(crate) fn wrap(
        &self,
        mut tcp: std::net::TcpStream,
        name: &str,
    ) -> Result<
        (
            rustls::StreamOwned<rustls::ClientConnection, std::net::TcpStream>,
            Vec<u8>,
        ),
        String,
    > {
        use std::io::{Read, Write};
        let config = self.tls.clone().ok_or("TLS is off for this URL")?;
        let io = |e: std::io::Error| format!("{}: {e}", self.target);
        // SSLRequest: length 8, code 80877103.
        tcp.write_all(&[0, 0, 0, 8, 4, 210, 22, 47]).map_err(io)?;
        let mut answer = [0u8; 1];
        tcp.read_exact(&mut answer).map_err(io)?;
        if answer[0] != b'S' {
            return Err(self.no_tls());
        }
        let server = ServerName::try_from(name.to_owned())
            .map_err(|_| format!("`{name}` is not a host name TLS can check"))?;
        let connection =
            rustls::ClientConnection::new(config, server).map_err(|e| self.handshake_failed(&e))?;
        let mut stream = rustls::StreamOwned::new(connection, tcp);
        while stream.conn.is_handshaking() {
            stream.conn.complete_io(&mut stream.sock).map_err(|e| {
                match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                    Some(tls) => self.handshake_failed(tls),
                    None => self.handshake_failed(&e),
                }
            })?;
        }
        let certificate = stream
            .conn
            .peer_certificates()
            .and_then(|c| c.first())
            .ok_or_else(|| self.handshake_failed(&"the server sent no certificate"))?;
        let binding = end_point_hash(certificate).ok_or_else(|| self.no_channel_binding())?;
        Ok((stream, binding))
    }
}

/// RFC 5929's `tls-server-end-point`: the certificate hashed with its
/// signature's hash function (MD5 and SHA-1 upgraded to SHA-256); none
/// for an algorithm without one, such as Ed25519 (as tokio-postgres-rustls).
fn end_point_hash(certificate: &[u8]) -> Option<Vec<u8>> {
    use sha2::{Digest, Sha256, Sha384, Sha512};
    use x509_cert::der::oid::db::rfc5912::{
        ECDSA_WITH_SHA_256, ECDSA_WITH_SHA_384, ECDSA_WITH_SHA_512, ID_SHA_1, ID_SHA_256,
        ID_SHA_384, ID_SHA_512, SHA_1_WITH_RSA_ENCRYPTION, SHA_256_WITH_RSA_ENCRYPTION,
        SHA_384_WITH_RSA_ENCRYPTION, SHA_512_WITH_RSA_ENCRYPTION,
    };
    use x509_cert::der::Decode;
    let parsed = x509_cert::Certificate::from_der(certificate).ok()?;
    Some(match parsed.signature_algorithm.oid {
        ID_SHA_1
        | ID_SHA_256
        | SHA_1_WITH_RSA_ENCRYPTION
        | SHA_256_WITH_RSA_ENCRYPTION
        | ECDSA_WITH_SHA_256 => Sha256::digest(certificate).to_vec(),
        ID_SHA_384 | SHA_384_WITH_RSA_ENCRYPTION | ECDSA_WITH_SHA_384 => {
            Sha384::digest(certificate).to_vec()
        }
        ID_SHA_512 | SHA_512_WITH_RSA_ENCRYPTION | ECDSA_WITH_SHA_512 => {
            Sha512::digest(certificate).to_vec()
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn split_ok(text: &str) -> (String, Params) {
        let (rest, params) = split(text).unwrap();
        (rest.to_string(), params)
    }

    #[test]
    fn url_parameters_are_taken_out() {
        let (rest, p) = split_ok(
            "postgresql://admin:p%40ss@127.0.0.1:5432/postgres?sslmode=verify-full&application_name=x&sslrootcert=%2Ftmp%2Fca.crt&channel_binding=require",
        );
        assert_eq!(
            rest,
            "postgresql://admin:p%40ss@127.0.0.1:5432/postgres?application_name=x"
        );
        assert_eq!(
            p,
            Params {
                mode: SslMode::VerifyFull,
                root_cert: Some("/tmp/ca.crt".into()),
                binding: Binding::Require,
                peer: None,
            }
        );
        // Percent-encoded keys are the same keys to tokio-postgres.
        let (rest, p) = split_ok("postgres://h/db?ssl%6Dode=disable");
        assert_eq!(
            (rest.as_str(), p.mode),
            ("postgres://h/db", SslMode::Disable)
        );
        // A `?` or `&` in an unencoded password is not the query.
        let (rest, p) = split_ok("postgres://u:a?b&sslmode=disable@h/db?sslmode=require");
        assert_eq!(
            (rest.as_str(), p.mode),
            ("postgres://u:a?b&sslmode=disable@h/db", SslMode::Require)
        );
        // Later wins; no query at all.
        assert_eq!(
            split_ok("postgres://h/db?sslmode=disable&sslmode=verify-ca")
                .1
                .mode,
            SslMode::VerifyCa
        );
        assert_eq!(split_ok("postgres://h").1, Params::default());
        assert_eq!(split("postgres://h/db?novalue"), Err(SplitError::Syntax));
    }

    #[test]
    fn key_value_parameters_are_taken_out() {
        let (rest, p) = split_ok(
            r"host=127.0.0.1  password='it\'s x'  sslmode = verify-ca sslrootcert='/a b/ca.crt' user=admin",
        );
        assert_eq!(rest, r"host=127.0.0.1 password='it\'s x' user=admin");
        assert_eq!(p.mode, SslMode::VerifyCa);
        assert_eq!(p.root_cert, Some("/a b/ca.crt".into()));
        let (rest, p) = split_ok(r"password=a\ sslmode=disable sslmode=require");
        assert_eq!(rest, r"password=a\ sslmode=disable");
        assert_eq!(p.mode, SslMode::Require);
        assert_eq!(split("host=h password='x"), Err(SplitError::Syntax));
        assert_eq!(split("host"), Err(SplitError::Syntax));
        assert!(matches!(
            split("sslmode=verify_full"),
            Err(SplitError::Param(m)) if m.contains("verify-full") && !m.contains("verify_full")
        ));
        assert!(matches!(
            split("sslrootcert=system"),
            Err(SplitError::Param(_))
        ));
        // The rest still parses to the same thing.
        let config =
            Config::from_str(&split_ok(r"host=h password='a b\'c' sslmode=require").0).unwrap();
        assert_eq!(config.get_password(), Some(&b"a b'c"[..]));
    }

    fn reach_of(text: &str) -> Result<Reach, String> {
        reach(&Config::from_str(text).unwrap())
    }

    #[test]
    fn reach_by_host() {
        for local in [
            "host=127.0.0.1",
            "host=127.9.9.9",
            "host=localhost",
            "host=LOCALHOST",
            "host=::1",
            "host=::ffff:127.0.0.1",
            "host=db.example hostaddr=127.0.0.1",
            "postgres://[::1]:5432/db",
            "host=127.0.0.1,localhost",
        ] {
            assert_eq!(reach_of(local), Ok(Reach::Loopback), "{local}");
        }
        assert_eq!(reach_of("host=/run/postgresql"), Ok(Reach::Unix));
        for (remote, host) in [
            ("host=192.0.2.1", "192.0.2.1"),
            ("host=db", "db"),
            ("host=localhost.example", "localhost.example"),
            ("host=localhost hostaddr=192.0.2.1", "192.0.2.1"),
            ("host=127.0.0.1,db", "db"),
        ] {
            assert_eq!(reach_of(remote), Ok(Reach::Remote(host.into())), "{remote}");
        }
        assert!(reach_of("host=/run/postgresql,127.0.0.1").is_err());
        assert!(reach_of("user=admin").is_err());
    }

    fn transport_of(mode: SslMode, binding: Binding, reach: &Reach) -> Result<Transport, String> {
        let params = Params {
            mode,
            root_cert: None,
            binding,
            peer: None,
        };
        transport(&params, reach)
    }

    #[test]
    fn plaintext_only_to_local_hosts_or_with_disable() {
        use Binding::{Prefer as B, Require as BR};
        use SslMode::*;
        let remote = Reach::Remote("192.0.2.1".into());
        let tls = |fallback| Ok(Transport::Tls { fallback });
        // The fallback to plaintext exists only for local hosts.
        assert_eq!(transport_of(Prefer, B, &Reach::Loopback), tls(true));
        assert_eq!(transport_of(Allow, B, &Reach::Loopback), tls(true));
        assert_eq!(transport_of(Prefer, B, &remote), tls(false));
        assert!(transport_of(Allow, B, &remote)
            .unwrap_err()
            .contains("192.0.2.1 is not a unix socket or a loopback address"));
        // channel_binding=require: no plaintext fallback, and not with disable.
        assert_eq!(transport_of(Prefer, BR, &Reach::Loopback), tls(false));
        assert!(transport_of(Disable, BR, &remote).is_err());
        assert!(transport_of(Require, Binding::Disable, &Reach::Loopback).is_err());
        for mode in [Require, VerifyCa, VerifyFull] {
            assert_eq!(transport_of(mode, B, &Reach::Loopback), tls(false));
            assert_eq!(transport_of(mode, B, &remote), tls(false));
            assert_eq!(transport_of(mode, B, &Reach::Unix), Ok(Transport::Plain));
        }
        // Only an explicit disable sends a password in plaintext to a remote host.
        assert_eq!(transport_of(Disable, B, &remote), Ok(Transport::Plain));
    }

    #[test]
    fn verify_modes_need_a_root_file() {
        let params = Params {
            mode: SslMode::VerifyFull,
            root_cert: Some("/nonexistent/ca.crt".into()),
            binding: Binding::Prefer,
            peer: None,
        };
        let e = client_config(&params).unwrap_err();
        assert!(e.starts_with("sslrootcert /nonexistent/ca.crt: "), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let params = Params {
            root_cert: Some(empty),
            ..params
        };
        assert!(client_config(&params)
            .unwrap_err()
            .ends_with("holds no PEM certificate"));
    }
}

//! The login check: a SCRAM login done here. Without TLS, because
//! tokio-postgres answers a server's cleartext or MD5 password request
//! without asking (its only guard, channel binding, needs TLS); this one
//! reads the server's authentication request first and goes on only with
//! SCRAM, so the new password never crosses the wire, even to a server
//! (or an impostor on the port) that asks for it in clear. Over TLS, with
//! SCRAM-SHA-256-PLUS only, because tokio-postgres keeps plain copies of
//! the password (its `Config`, its SCRAM state) that it frees uncleared.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use bytes::BytesMut;
use postgres::config::Host;
use postgres::fallible_iterator::FallibleIterator;
use postgres::Config;
use postgres_protocol::authentication::sasl::{SCRAM_SHA_256, SCRAM_SHA_256_PLUS};
use postgres_protocol::message::backend::{ErrorResponseBody, Message};
use postgres_protocol::message::frontend;

use super::scram::ScramClient;
use super::tls::Settings;
use crate::SecretValue;

/// The longest server message read: authentication messages are small,
/// and the length field must not make us allocate gigabytes.
const MAX_MESSAGE: usize = 64 << 10;

/// How long a step may wait.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

trait Stream: Read + Write {}
impl<T: Read + Write> Stream for T {}

/// A connection, and the channel binding data of its TLS if any.
type Opened = (Box<dyn Stream>, Option<Vec<u8>>);

/// Logs in as `role` with `password` to the first of `config`'s hosts that
/// accepts a connection (libpq, too, tries no further host once one
/// answered): without TLS with SCRAM-SHA-256 only; with `tls`, over TLS
/// with SCRAM-SHA-256-PLUS only.
pub(crate) fn scram_only(
    config: &Config,
    role: &str,
    password: &SecretValue,
    tls: Option<&Settings>,
) -> Result<(), String> {
    let (mut stream, binding) = open(config, tls)?;
    let outcome = authenticate(&mut *stream, config, role, password, binding, tls);
    // A polite goodbye; the outcome is already known.
    let mut buf = BytesMut::new();
    frontend::terminate(&mut buf);
    let _ = stream.write_all(&buf);
    outcome
}

/// A connection to the first host that answers, over TLS with `tls`, with
/// the channel binding data TLS gives.
fn open(config: &Config, tls: Option<&Settings>) -> Result<Opened, String> {
    let timeout = config
        .get_connect_timeout()
        .copied()
        .unwrap_or(DEFAULT_TIMEOUT);
    let (hosts, addrs, ports) = (
        config.get_hosts(),
        config.get_hostaddrs(),
        config.get_ports(),
    );
    let mut last = String::from("no host to connect to");
    for i in 0..hosts.len().max(addrs.len()) {
        let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
        let opened: Result<Box<dyn Stream>, String> = match (addrs.get(i), hosts.get(i)) {
            (None, Some(Host::Unix(_))) if tls.is_some() => {
                Err("PostgreSQL has no TLS on a unix socket".to_owned())
            }
            (None, Some(Host::Unix(dir))) => {
                let path = dir.join(format!(".s.PGSQL.{port}"));
                UnixStream::connect(&path)
                    .and_then(|s| {
                        s.set_read_timeout(Some(timeout))?;
                        s.set_write_timeout(Some(timeout))?;
                        Ok(Box::new(s) as Box<dyn Stream>)
                    })
                    .map_err(|e| format!("{}: {e}", path.display()))
            }
            (addr, host) => {
                let name = match (addr, host) {
                    (Some(ip), _) => ip.to_string(),
                    (None, Some(Host::Tcp(name))) => name.clone(),
                    _ => unreachable!("i < max(len, len)"),
                };
                match (tls, tcp(&name, port, timeout)) {
                    (Some(tls), Ok(stream)) => {
                        // The name TLS checks: `host`, else the address
                        // (as libpq and the admin connection do).
                        let checked = match host {
                            Some(Host::Tcp(host)) => host.as_str(),
                            _ => name.as_str(),
                        };
                        let (stream, binding) = tls.wrap(stream, checked)?;
                        return Ok((Box::new(stream), Some(binding)));
                    }
                    (_, stream) => stream.map(|s| Box::new(s) as Box<dyn Stream>),
                }
            }
        };
        match opened {
            Ok(s) => return Ok((s, None)),
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn tcp(name: &str, port: u16, timeout: Duration) -> Result<TcpStream, String> {
    let mut last = format!("{name}: no address");
    let addrs = (name, port)
        .to_socket_addrs()
        .map_err(|e| format!("{name}: {e}"))?;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout).and_then(|s| {
            s.set_read_timeout(Some(timeout))?;
            s.set_write_timeout(Some(timeout))?;
            s.set_nodelay(true)?;
            Ok(s)
        }) {
            Ok(s) => return Ok(s),
            Err(e) => last = format!("{addr}: {e}"),
        }
    }
    Err(last)
}

fn send(stream: &mut dyn Stream, buf: &BytesMut) -> Result<(), String> {
    stream
        .write_all(buf)
        .and_then(|()| stream.flush())
        .map_err(|e| format!("sending to the server: {e}"))
}

fn receive(stream: &mut dyn Stream) -> Result<Message, String> {
    let io = |e: std::io::Error| format!("reading from the server: {e}");
    let mut header = [0u8; 5];
    stream.read_exact(&mut header).map_err(io)?;
    let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
    if !(4..=MAX_MESSAGE).contains(&len) {
        return Err(format!("the server sent a message of {len} bytes"));
    }
    let mut buf = BytesMut::zeroed(1 + len);
    buf[..5].copy_from_slice(&header);
    stream.read_exact(&mut buf[5..]).map_err(io)?;
    Message::parse(&mut buf)
        .map_err(|e| format!("the server's message does not parse: {e}"))?
        .ok_or_else(|| "the server's message does not parse".to_owned())
}

/// The `M` (message) field of an `ErrorResponse`.
fn server_message(body: &ErrorResponseBody) -> String {
    let mut fields = body.fields();
    while let Ok(Some(f)) = fields.next() {
        if f.type_() == b'M' {
            return String::from_utf8_lossy(f.value_bytes()).into_owned();
        }
    }
    "the server refused the login".to_owned()
}

fn unexpected(m: &Message) -> String {
    let what = match m {
        Message::AuthenticationCleartextPassword => {
            "asked for the password in clear text (pg_hba.conf method `password`)"
        }
        Message::AuthenticationMd5Password(_) => {
            "asked for an MD5 password hash (pg_hba.conf method `md5` with an MD5 verifier)"
        }
        Message::AuthenticationOk => {
            "let the role in without a password (pg_hba.conf method `trust`), so the password proves nothing"
        }
        Message::AuthenticationSasl(_) => "offered SASL without SCRAM-SHA-256",
        _ => "answered with an authentication method or message other than SCRAM-SHA-256",
    };
    format!(
        "the server {what}; secrets sends passwords only through SCRAM-SHA-256, so it sent nothing"
    )
}

fn authenticate(
    stream: &mut dyn Stream,
    config: &Config,
    role: &str,
    password: &SecretValue,
    binding: Option<Vec<u8>>,
    tls: Option<&Settings>,
) -> Result<(), String> {
    // Over TLS anything but SCRAM-SHA-256-PLUS is refused in one message.
    let unexpected = |m: &Message| match tls {
        Some(tls) => tls.no_channel_binding(),
        None => unexpected(m),
    };
    let mechanism = if binding.is_some() {
        SCRAM_SHA_256_PLUS
    } else {
        SCRAM_SHA_256
    };
    let mut startup: Vec<(&str, &str)> = vec![("user", role)];
    if let Some(db) = config.get_dbname() {
        startup.push(("database", db));
    }
    if let Some(options) = config.get_options() {
        startup.push(("options", options));
    }
    let mut buf = BytesMut::new();
    frontend::startup_message(startup, &mut buf).map_err(|e| e.to_string())?;
    send(stream, &buf)?;

    // Only SCRAM-SHA-256 goes on; everything else ends here, before the
    // password is used at all.
    match receive(stream)? {
        Message::AuthenticationSasl(body) => {
            let mut offered = body.mechanisms();
            let mut scram = false;
            while let Some(m) = offered.next().map_err(|e| e.to_string())? {
                scram |= m == mechanism;
            }
            if !scram {
                return Err(unexpected(&Message::AuthenticationSasl(body)));
            }
        }
        Message::ErrorResponse(body) => return Err(server_message(&body)),
        other => return Err(unexpected(&other)),
    }

    // Without TLS there is nothing to bind to: "n", the client has no
    // channel binding.
    let mut scram = ScramClient::new(&mut crate::generate::os_rng(), binding);
    let mut buf = BytesMut::new();
    frontend::sasl_initial_response(mechanism, scram.first_message().as_bytes(), &mut buf)
        .map_err(|e| e.to_string())?;
    send(stream, &buf)?;
    let last = match receive(stream)? {
        Message::AuthenticationSaslContinue(body) => {
            scram.final_message(password.expose(), body.data())?
        }
        Message::ErrorResponse(body) => return Err(server_message(&body)),
        other => return Err(unexpected(&other)),
    };
    let mut buf = BytesMut::new();
    frontend::sasl_response(last.as_bytes(), &mut buf).map_err(|e| e.to_string())?;
    send(stream, &buf)?;
    match receive(stream)? {
        // Checks the server's signature: it knows the verifier too.
        Message::AuthenticationSaslFinal(body) => scram.verify_server(body.data())?,
        Message::ErrorResponse(body) => return Err(server_message(&body)),
        other => return Err(unexpected(&other)),
    }
    match receive(stream)? {
        Message::AuthenticationOk => {}
        Message::ErrorResponse(body) => return Err(server_message(&body)),
        other => return Err(unexpected(&other)),
    }
    // Logged in only once the backend is ready: a role without LOGIN, or a
    // missing database, is refused after authentication.
    loop {
        match receive(stream)? {
            Message::ReadyForQuery(_) => return Ok(()),
            Message::ErrorResponse(body) => return Err(server_message(&body)),
            _ => {}
        }
    }
}

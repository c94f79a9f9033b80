//! SA011: a database port (5432, 3306, 6379, 27017, 6432) published on all
//! interfaces; the seed stacks bind them to 127.0.0.1.

use std::path::Path;

use super::compose::entries_under;
use crate::check::{Finding, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "SA011",
    name: "compose-public-database-port",
    severity: Severity::Medium,
    summary: "A database port is published on all interfaces",
    help: "bind it to loopback: \"127.0.0.1:5432:5432\", or do not publish it",
};

const DATABASE_PORTS: &[u16] = &[5432, 3306, 6379, 27017, 6432];

/// The host address and ports of a short-syntax port mapping.
fn public_database_port(spec: &str) -> Option<u16> {
    let spec = spec.split('/').next().unwrap_or(spec);
    // `[::1]:5432:5432`, `127.0.0.1:5432:5432`, `5432:5432`, `5432`.
    let (host_ip, rest) = match spec.rsplitn(3, ':').collect::<Vec<_>>().as_slice() {
        [container, host, ip] => (Some(ip.trim_matches(['[', ']'])), vec![*host, *container]),
        [container, host] => (None, vec![*host, *container]),
        [container] => (None, vec![*container]),
        _ => return None,
    };
    let public = host_ip.is_none_or(|ip| ip.is_empty() || ip == "0.0.0.0" || ip == "::");
    if !public {
        return None;
    }
    rest.iter()
        .filter_map(|p| p.split('-').next()?.trim().parse::<u16>().ok())
        .find(|p| DATABASE_PORTS.contains(p))
}

pub fn run(compose: &Path, out: &mut Vec<Finding>) {
    let Ok(text) = std::fs::read_to_string(compose) else {
        return;
    };
    for item in entries_under(&text, "ports") {
        if let Some(port) = public_database_port(&item.text) {
            let message = format!(
                "{} line {}: port {port} is published on all interfaces",
                compose.display(),
                item.line
            );
            out.push(Finding::new(&RULE, compose, Some(item.line), None, message));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::public_database_port;

    #[test]
    fn mappings() {
        assert_eq!(public_database_port("5432:5432"), Some(5432));
        assert_eq!(public_database_port("0.0.0.0:6379:6379"), Some(6379));
        assert_eq!(public_database_port("15432:5432/tcp"), Some(5432));
        assert_eq!(public_database_port("27017"), Some(27017));
        assert_eq!(public_database_port("127.0.0.1:5432:5432"), None);
        assert_eq!(public_database_port("8080:80"), None);
    }
}

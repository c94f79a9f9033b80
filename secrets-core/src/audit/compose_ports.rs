//! SA011: a database port (5432, 3306, 6379, 27017, 6432) published on all
//! interfaces; the seed stacks bind them to 127.0.0.1.

use std::path::Path;

use crate::check::{Finding, Rule, RuleId, Severity};
use crate::compose_text::entries_under;

pub static RULE: Rule = Rule {
    id: RuleId::ComposePublicDatabasePort,
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

/// A long-syntax mapping (`target:`, `published:`, `host_ip:` lines of one
/// list item): the database port it publishes on all interfaces, if any.
fn long_syntax_public_port(fields: &[(&str, &str)]) -> Option<u16> {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| v.trim_matches(['"', '\'']))
    };
    get("published")?; // not published: not reachable from outside
    let public = get("host_ip").is_none_or(|ip| ip.is_empty() || ip == "0.0.0.0" || ip == "::");
    if !public {
        return None;
    }
    ["target", "published"]
        .iter()
        .filter_map(|k| get(k)?.split('-').next()?.parse::<u16>().ok())
        .find(|p| DATABASE_PORTS.contains(p))
}

pub fn run(compose: &Path, text: &str, out: &mut Vec<Finding>) {
    let items = entries_under(text, "ports");
    let mut i = 0;
    while i < items.len() {
        let item = &items[i];
        let field = |it: &crate::compose_text::Item| {
            it.text
                .split_once(':')
                .filter(|(k, _)| {
                    [
                        "target",
                        "published",
                        "host_ip",
                        "protocol",
                        "mode",
                        "name",
                        "app_protocol",
                    ]
                    .contains(&k.trim())
                })
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        };
        let port = if field(item).is_some() {
            // Long syntax: this item and the following lines up to the next item.
            let mut fields = vec![field(item).expect("checked")];
            while i + 1 < items.len() && !items[i + 1].starts_item {
                i += 1;
                fields.extend(field(&items[i]));
            }
            let borrowed: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            long_syntax_public_port(&borrowed)
        } else {
            public_database_port(&item.text)
        };
        if let Some(port) = port {
            let message = format!(
                "{} line {}: port {port} is published on all interfaces",
                compose.display(),
                item.line
            );
            out.push(Finding::new(&RULE, compose, Some(item.line), None, message));
        }
        i += 1;
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

    #[test]
    fn short_and_long_syntax_in_one_file() {
        let p = std::path::Path::new("compose.yaml");
        let text = "services:\n  a:\n    ports:\n      - \"5432:5432\"\n  b:\n    ports:\n      - target: 6379\n        published: 6379\n      - target: 27017\n        published: 27017\n        host_ip: 127.0.0.1\n";
        let mut out = Vec::new();
        super::run(p, text, &mut out);
        let lines: Vec<Option<usize>> = out.iter().map(|f| f.line).collect();
        assert_eq!(lines, [Some(4), Some(7)]);
    }

    #[test]
    fn long_syntax() {
        use super::long_syntax_public_port as f;
        assert_eq!(
            f(&[("target", "5432"), ("published", "\"5432\"")]),
            Some(5432)
        );
        assert_eq!(
            f(&[
                ("target", "5432"),
                ("published", "5432"),
                ("host_ip", "127.0.0.1")
            ]),
            None
        );
        assert_eq!(f(&[("target", "5432")]), None);
        assert_eq!(f(&[("target", "80"), ("published", "8080")]), None);
    }
}

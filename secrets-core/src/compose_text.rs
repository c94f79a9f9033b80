//! A line-oriented reading of compose files, enough for the audit and for
//! `init`: the entries under `environment:`, `ports:`, `env_file:` and top-level
//! `secrets:` `file:`, each with its line. Block style and flow lists
//! (`[a, b]`) are understood; anchors and merges are not followed.

/// One scalar entry under a key, with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// 1-based line.
    pub line: usize,
    /// The entry text: `NAME=value`, `NAME: value`, `"5432:5432"`...
    pub text: String,
    /// Whether the line opened a list item (`- `): long-syntax entries
    /// (`- target: 5432` then `published: ...`) group from one to the next.
    pub starts_item: bool,
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

pub(crate) fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .or_else(|| s.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')))
        .unwrap_or(s)
}

/// Strips a trailing ` # comment` outside quotes.
pub(crate) fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), c) if c == q => quote = None,
            (None, b'#') if i == 0 || bytes[i - 1] == b' ' || bytes[i - 1] == b'\t' => {
                return line[..i].trim_end()
            }
            _ => {}
        }
    }
    line.trim_end()
}

/// Entries under every `key:` block of the file (at any depth), with lines.
pub fn entries_under(text: &str, key: &str) -> Vec<Item> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = strip_comment(lines[i]);
        let trimmed = line.trim_start().trim_start_matches("- ");
        let Some(rest) = trimmed.strip_prefix(key).and_then(|r| r.strip_prefix(':')) else {
            i += 1;
            continue;
        };
        let base = indent(line);
        let rest = rest.trim();
        if !rest.is_empty() {
            // Inline: a scalar or a flow list.
            let inner = rest.strip_prefix('[').and_then(|r| r.strip_suffix(']'));
            match inner {
                Some(list) => out.extend(
                    list.split(',')
                        .map(|s| Item {
                            line: i + 1,
                            text: unquote(s).to_owned(),
                            starts_item: true,
                        })
                        .filter(|it| !it.text.is_empty()),
                ),
                None => out.push(Item {
                    line: i + 1,
                    text: unquote(rest).to_owned(),
                    starts_item: true,
                }),
            }
            i += 1;
            continue;
        }
        i += 1;
        while i < lines.len() {
            let l = strip_comment(lines[i]);
            if l.trim().is_empty() {
                i += 1;
                continue;
            }
            if indent(l) <= base {
                break;
            }
            let t = l.trim_start();
            let dashed = t.strip_prefix("- ");
            out.push(Item {
                line: i + 1,
                text: unquote(dashed.unwrap_or(t)).to_owned(),
                starts_item: dashed.is_some(),
            });
            i += 1;
        }
    }
    out
}

/// Files a compose file names with `env_file:` and in `secrets:` `file:`,
/// as written (relative to the compose file's directory, or absolute), with
/// their lines.
#[cfg(feature = "audit")]
pub fn referenced_files(text: &str) -> Vec<(usize, std::path::PathBuf)> {
    let mut out = Vec::new();
    for item in entries_under(text, "env_file") {
        // Long syntax: `path: ./x.env` lines.
        let path = item
            .text
            .strip_prefix("path:")
            .map_or(item.text.as_str(), |p| unquote(p));
        if !path.contains(':') || item.text.starts_with("path:") {
            out.push((item.line, std::path::PathBuf::from(path)));
        }
    }
    for item in entries_under(text, "file") {
        out.push((item.line, std::path::PathBuf::from(&item.text)));
    }
    out.sort();
    out.dedup_by(|a, b| a.1 == b.1);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_and_lists() {
        let text = "services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: ${PW}  # c\n      - LIST_FORM=1\n    ports: [\"5432:5432\", '8080:80']\n    env_file:\n      - ./db.env\n  app:\n    env_file: .env\nsecrets:\n  pw:\n    file: ./secrets/pw.txt\n";
        let env = entries_under(text, "environment");
        assert_eq!(
            env,
            [
                Item {
                    line: 4,
                    text: "POSTGRES_PASSWORD: ${PW}".into(),
                    starts_item: false,
                },
                Item {
                    line: 5,
                    text: "LIST_FORM=1".into(),
                    starts_item: true,
                }
            ]
        );
        assert_eq!(
            entries_under(text, "ports")
                .iter()
                .map(|i| i.text.as_str())
                .collect::<Vec<_>>(),
            ["5432:5432", "8080:80"]
        );
        let files: Vec<String> = entries_under(text, "env_file")
            .into_iter()
            .map(|i| i.text)
            .collect();
        assert_eq!(files, ["./db.env", ".env"]);
        assert_eq!(entries_under(text, "file")[0].text, "./secrets/pw.txt");
    }
}

//! Docker Compose's `$` syntax, as it reads a `.env` value or a compose
//! file: `$$` is a `$`, `${NAME}` and `$NAME` are references, and
//! `${NAME:-default}` (`-`, `:?`, `?`, `:+`, `+`) carry a modifier.

use std::collections::HashMap;

/// One piece of an interpolated text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    /// Literal text (a `$$` becomes one `$` here).
    Text(String),
    /// A reference, with its modifier (`:-` and what follows) if any.
    Var {
        name: &'a str,
        modifier: Option<(&'a str, &'a str)>,
    },
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn name_len(s: &[u8]) -> usize {
    if s.first().is_some_and(|&b| is_name_start(b)) {
        s.iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count()
    } else {
        0
    }
}

/// Splits `text` into literal text and references. A `$` that starts
/// nothing (`$ `, `$1`) stays literal, as Compose leaves it; an unclosed
/// `${` is literal too.
pub(crate) fn pieces(text: &str) -> Vec<Piece<'_>> {
    let bytes = text.as_bytes();
    let closes = closing_braces(text);
    let mut out = Vec::new();
    let mut literal = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let Some(off) = text[i..].find('$') else {
            literal.push_str(&text[i..]);
            break;
        };
        literal.push_str(&text[i..i + off]);
        i += off;
        let rest = &bytes[i + 1..];
        if rest.first() == Some(&b'$') {
            literal.push('$');
            i += 2;
            continue;
        }
        if rest.first() == Some(&b'{') {
            let body = &text[i + 2..];
            let n = name_len(body.as_bytes());
            // Offset in `body` of the `}` closing this `${`.
            let close = closes.get(&i).map(|&at| at - (i + 2));
            match close {
                Some(end) if n > 0 && n <= end => {
                    let name = &body[..n];
                    let after = &body[n..end];
                    let modifier = [":-", ":?", ":+", "-", "?", "+"]
                        .iter()
                        .find(|op| after.starts_with(**op))
                        .map(|op| (&after[..op.len()], &after[op.len()..]));
                    if after.is_empty() || modifier.is_some() {
                        if !literal.is_empty() {
                            out.push(Piece::Text(std::mem::take(&mut literal)));
                        }
                        out.push(Piece::Var { name, modifier });
                        i += 2 + end + 1;
                        continue;
                    }
                }
                _ => {}
            }
            literal.push('$');
            i += 1;
            continue;
        }
        let n = name_len(rest);
        if n > 0 {
            if !literal.is_empty() {
                out.push(Piece::Text(std::mem::take(&mut literal)));
            }
            out.push(Piece::Var {
                name: &text[i + 1..i + 1 + n],
                modifier: None,
            });
            i += 1 + n;
        } else {
            literal.push('$');
            i += 1;
        }
    }
    if !literal.is_empty() {
        out.push(Piece::Text(literal));
    }
    out
}

/// For each `${` in `text` (by the offset of its `$`) the offset of the
/// `}` that closes it, counting nested `${...}` in a default; an unclosed
/// `${` has none. One pass with a stack, so that a line of many unclosed
/// `${` costs its length, not its length squared.
fn closing_braces(text: &str) -> HashMap<usize, usize> {
    let bytes = text.as_bytes();
    let mut open = Vec::new();
    let mut closes = HashMap::new();
    let mut i = 0;
    while i < bytes.len() {
        #[cfg(test)]
        SCANNED.with(|n| n.set(n.get() + 1));
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                open.push(i);
                i += 1;
            }
            b'}' => {
                if let Some(at) = open.pop() {
                    closes.insert(at, i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    closes
}

#[cfg(test)]
thread_local! {
    /// Bytes `closing_braces` has looked at on this thread.
    static SCANNED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Whether `text` holds a reference at all.
pub(crate) fn has_reference(text: &str) -> bool {
    pieces(text).iter().any(|p| matches!(p, Piece::Var { .. }))
}

/// The manifest template (`${NAME}`, `$$` for a `$`) for interpolated
/// text, or `None` when a reference carries a modifier, which a manifest
/// template cannot say.
pub(crate) fn to_manifest_template(text: &str) -> Option<String> {
    let mut out = String::new();
    for p in pieces(text) {
        match p {
            Piece::Text(t) => out.push_str(&t.replace('$', "$$")),
            Piece::Var {
                name,
                modifier: None,
            } => {
                out.push_str("${");
                out.push_str(name);
                out.push('}');
            }
            Piece::Var { .. } => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_syntax() {
        assert_eq!(
            to_manifest_template("http://${APP_DOMAIN}/x$$y").unwrap(),
            "http://${APP_DOMAIN}/x$$y"
        );
        assert_eq!(
            to_manifest_template("a$B-c").unwrap(),
            "a${B}-c",
            "$NAME ends at the first character a name cannot hold"
        );
        assert!(to_manifest_template("${A:-x}").is_none());
        assert!(!has_reference("p$ $1 ${ $$X"));
        let p = pieces("${DB:-postgres://u:${PW}@h/d}z");
        assert_eq!(
            p[0],
            Piece::Var {
                name: "DB",
                modifier: Some((":-", "postgres://u:${PW}@h/d"))
            }
        );
        assert_eq!(p[1], Piece::Text("z".into()));
        let p = pieces("${ ${A}x${B");
        assert_eq!(
            p[0],
            Piece::Text("${ ".into()),
            "an unclosed `$${{` stays literal"
        );
        assert_eq!(
            p[1],
            Piece::Var {
                name: "A",
                modifier: None
            }
        );
        assert_eq!(p[2], Piece::Text("x${B".into()));
        assert_eq!(pieces("${A:-${B}")[0], Piece::Text("${A:-".into()));
    }

    /// A line of many unclosed `${` is read in time linear in its length:
    /// each `${` used to rescan the rest of the line for its `}`.
    #[test]
    fn unclosed_braces_scanned_once() {
        let line = "${".repeat(25_000);
        SCANNED.with(|n| n.set(0));
        let p = pieces(&line);
        assert_eq!(p, vec![Piece::Text(line.clone())]);
        let scanned = SCANNED.with(|n| n.get());
        assert!(
            scanned <= line.len(),
            "{scanned} bytes scanned for a line of {}",
            line.len()
        );
    }
}

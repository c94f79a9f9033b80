//! Writing a file name as an ignore pattern that matches that name and
//! nothing else. A name that no escaping can express (a newline would make
//! two lines, a control character is not portable) gets no pattern: its
//! finding stays, without a fix.

use std::path::Path;

/// Whether a name can be written on one line of an ignore file at all.
fn writable(text: &str) -> bool {
    !text.is_empty() && !text.chars().any(char::is_control)
}

/// The `.gitignore` pattern for `rel` (relative to the ignore file's
/// directory), anchored with a leading `/`: `*`, `?`, `[`, `\` escaped, a
/// leading `#` or `!` escaped, trailing spaces escaped (gitignore(5)).
pub fn gitignore(rel: &Path) -> Option<String> {
    let text = rel.to_str()?;
    if !writable(text) {
        return None;
    }
    let mut out = String::from("/");
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    // Trailing spaces are dropped unless escaped.
    let trimmed = out.trim_end_matches(' ').len();
    let spaces = out.len() - trimmed;
    out.truncate(trimmed);
    out.push_str(&"\\ ".repeat(spaces));
    Some(out)
}

/// The `.dockerignore` pattern for `rel` (relative to the build context):
/// Go `filepath.Match` escapes for `*`, `?`, `[`, `\`. Docker trims white
/// space around each line and reads a leading `#` as a comment and `!` as
/// an exception, none of which can be escaped: such names get no pattern.
pub fn dockerignore(rel: &Path) -> Option<String> {
    let text = rel.to_str()?;
    if !writable(text) || text.trim() != text || text.starts_with('#') || text.starts_with('!') {
        return None;
    }
    let mut out = String::new();
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_or_refuses() {
        assert_eq!(gitignore(Path::new("app/.env")).unwrap(), "/app/.env");
        assert_eq!(gitignore(Path::new("#a*[b]")).unwrap(), "/#a\\*\\[b\\]");
        assert_eq!(gitignore(Path::new("!x ")).unwrap(), "/!x\\ ");
        assert_eq!(gitignore(Path::new(".env.a\n/etc/passwd")), None);
        assert_eq!(gitignore(Path::new(".env\x1b[2J")), None);
        assert_eq!(dockerignore(Path::new("a/.env?")).unwrap(), "a/.env\\?");
        assert_eq!(dockerignore(Path::new("#.env")), None);
        assert_eq!(dockerignore(Path::new(".env ")), None);
        assert_eq!(dockerignore(Path::new(".env\n*")), None);
    }

    #[test]
    fn escaped_patterns_match_only_the_name() {
        use crate::audit::dockerignore::DockerIgnore;
        let name = Path::new("a*b/.env[1]");
        let ignore = DockerIgnore::parse(&dockerignore(name).unwrap());
        assert!(ignore.excludes(name));
        assert!(!ignore.excludes(Path::new("axxb/.env1")));
    }
}

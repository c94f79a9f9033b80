//! `.dockerignore` matching: patterns relative to the build context, `*`
//! within a path segment, `**` across segments, `!` to re-include; the last
//! matching pattern wins, and a pattern matching a directory covers what is
//! inside it.

use std::path::Path;

use globset::{Glob, GlobMatcher};

/// The patterns of one `.dockerignore`.
#[derive(Debug, Default)]
pub struct DockerIgnore {
    patterns: Vec<(GlobMatcher, bool)>,
}

impl DockerIgnore {
    /// Parses the file's text.
    pub fn parse(text: &str) -> Self {
        let mut patterns = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (negated, pattern) = match line.strip_prefix('!') {
                Some(p) => (true, p.trim()),
                None => (false, line),
            };
            let pattern = pattern
                .trim_start_matches("./")
                .trim_start_matches('/')
                .trim_end_matches('/');
            if let Ok(glob) = globset::GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
                .map(|g: Glob| g.compile_matcher())
            {
                patterns.push((glob, negated));
            }
        }
        DockerIgnore { patterns }
    }

    /// Whether `rel` (relative to the context) is left out of the context.
    pub fn excludes(&self, rel: &Path) -> bool {
        let mut excluded = false;
        let ancestors: Vec<&Path> = rel
            .ancestors()
            .filter(|a| !a.as_os_str().is_empty())
            .collect();
        for (glob, negated) in &self.patterns {
            if ancestors.iter().any(|a| glob.is_match(a)) {
                excluded = !negated;
            }
        }
        excluded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let d = DockerIgnore::parse("# c\n.env\n**/.env.*\n!.env.public\nsecrets/\n");
        assert!(d.excludes(Path::new(".env")));
        assert!(
            !d.excludes(Path::new("app/.env")),
            "`.env` matches the context root only"
        );
        assert!(d.excludes(Path::new("app/.env.prod")));
        assert!(!d.excludes(Path::new(".env.public")));
        assert!(d.excludes(Path::new("secrets/db_password")));
        assert!(DockerIgnore::parse("*").excludes(Path::new(".env")));
        assert!(!DockerIgnore::default().excludes(Path::new(".env")));
    }
}

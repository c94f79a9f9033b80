//! Reading Dockerfile instructions line by line (continuations joined).

/// One instruction: its first line, keyword (upper case) and arguments.
#[derive(Debug, Clone)]
pub struct Instruction {
    /// 1-based line where it starts.
    pub line: usize,
    /// `COPY`, `ADD`, `ENV`, `ARG`...
    pub keyword: String,
    /// The rest, continuations joined with spaces.
    pub args: String,
}

/// The instructions of a Dockerfile's text.
pub fn instructions(text: &[u8]) -> Vec<Instruction> {
    let text = String::from_utf8_lossy(text);
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if current.is_none() && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        let (start, mut acc) = current.take().unwrap_or((i + 1, String::new()));
        if line.starts_with('#') {
            current = Some((start, acc));
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => {
                acc.push_str(part);
                acc.push(' ');
                current = Some((start, acc));
            }
            None => {
                acc.push_str(line);
                let (kw, rest) = acc.split_once(char::is_whitespace).unwrap_or((&acc, ""));
                out.push(Instruction {
                    line: start,
                    keyword: kw.to_ascii_uppercase(),
                    args: rest.trim().to_owned(),
                });
            }
        }
    }
    out
}

/// Splits arguments in shell form or JSON-array form, dropping `--flag`s.
/// Returns the flags separately.
pub fn split_args(args: &str) -> (Vec<String>, Vec<String>) {
    let words: Vec<String> = if args.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<String>>(args.trim()).unwrap_or_default()
    } else {
        args.split_whitespace().map(str::to_owned).collect()
    };
    let (flags, rest): (Vec<String>, Vec<String>) =
        words.into_iter().partition(|w| w.starts_with("--"));
    (rest, flags)
}

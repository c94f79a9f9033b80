//! A lossless `.env` document: parses what Docker Compose reads and renders
//! back byte for byte; edits touch only the lines concerned.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::ops::Range;
use std::sync::Arc;

use zeroize::Zeroizing;

use super::quote::{encode, Reader};
use crate::secret::joined;
use crate::SecretValue;

/// How a value is quoted in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quote {
    /// `KEY=value`
    None,
    /// `KEY='value'`
    Single,
    /// `KEY="value"`
    Double,
}

/// A syntax error: where, and what. Never holds a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{col}: {message}")]
pub struct ParseError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column in characters.
    pub col: usize,
    /// What is wrong.
    pub message: String,
}

/// One `KEY=value` assignment.
pub struct Entry {
    key: String,
    /// Byte range of the value token (quotes included) within the item.
    value_range: Range<usize>,
    quote: Quote,
    value: SecretValue,
    /// Whether Compose would interpolate `$` in it.
    interpolates: bool,
}

impl Entry {
    /// Byte range of the value token (quotes included) within the raw text
    /// given by [`Document::entries_with_raw`].
    pub fn value_range(&self) -> Range<usize> {
        self.value_range.clone()
    }

    /// The variable name.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The value as Docker Compose reads it (before `$` interpolation).
    pub fn value(&self) -> &SecretValue {
        &self.value
    }

    /// The quoting used in the file.
    pub fn quote(&self) -> Quote {
        self.quote
    }

    /// Whether Compose would expand `$...` in this value.
    pub fn interpolates(&self) -> bool {
        self.interpolates
    }
}

/// An item's bytes: a slice of the parsed file (no copy per line), or text
/// of its own once edited. Either way zeroized when the last user drops it.
enum Raw {
    Span(Arc<Zeroizing<String>>, Range<usize>),
    Owned(Zeroizing<String>),
}

impl std::ops::Deref for Raw {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Raw::Span(text, range) => &text[range.clone()],
            Raw::Owned(s) => s,
        }
    }
}

impl Raw {
    /// Appends `tail` into a new buffer sized for the result: growing the
    /// old one in place could move it and free the text uncleared.
    fn append(&mut self, tail: &str) {
        *self = Raw::Owned(joined(&[self, tail]));
    }
}

/// A run of bytes of the file: one line, or several for a multi-line quoted
/// value, with its line terminator.
struct Item {
    raw: Raw,
    /// 1-based line where it starts.
    line: usize,
    entry: Option<Entry>,
    /// The key of a `KEY` line without `=` (readers take it from their
    /// environment, or ignore it).
    bare: Option<String>,
}

/// What [`parse_item`] found: an assignment, a bare key, or neither (a
/// blank or comment line), and where the next item begins.
struct Parsed {
    entry: Option<Entry>,
    bare: Option<String>,
    end: usize,
}

/// A key assigned more than once, with the lines of its assignments.
/// Displays as `KEY is assigned 2 times (lines 1 and 3)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The key.
    pub key: String,
    /// 1-based lines of each assignment, in file order.
    pub lines: Vec<usize>,
}

impl fmt::Display for Duplicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.lines.iter().map(ToString::to_string).collect();
        let (last, rest) = lines.split_last().expect("a duplicate has two lines");
        write!(
            f,
            "{} is assigned {} times (lines {} and {last})",
            self.key,
            lines.len(),
            rest.join(", ")
        )
    }
}

/// A name [`Document`] cannot assign: not a variable name ([`is_key`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{key}` is not a variable name")]
#[non_exhaustive]
pub struct InvalidKey {
    /// The name refused.
    pub key: String,
}

impl InvalidKey {
    fn check(key: &str) -> Result<(), InvalidKey> {
        if is_key(key) {
            Ok(())
        } else {
            Err(InvalidKey {
                key: key.to_owned(),
            })
        }
    }
}

/// A parsed `.env` file.
///
/// ```
/// use secrets_core::envfile::Document;
/// use secrets_core::SecretValue;
///
/// let mut doc = Document::parse(b"# database\nPOSTGRES_PASSWORD=old # why\nPORT=5432\n")?;
/// doc.set("POSTGRES_PASSWORD", &SecretValue::new("n3w-s3cret".to_owned()))?;
/// doc.push("API_TOKEN", &SecretValue::new("t0ken".to_owned()))?;
/// // A name no reader would read back is refused, and nothing changes.
/// assert!(doc.push("BAD KEY", &SecretValue::new("x".to_owned())).is_err());
/// // Comments, order and untouched lines are kept byte for byte.
/// assert_eq!(
///     doc.render().as_str(),
///     "# database\nPOSTGRES_PASSWORD=n3w-s3cret # why\nPORT=5432\nAPI_TOKEN=t0ken\n"
/// );
/// assert_eq!(doc.get("PORT").map(|v| v.expose()), Some("5432"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Document {
    items: Vec<Item>,
    crlf: bool,
    /// Where each key is assigned: what [`get`](Self::get) and the edits
    /// look up, so that asking once per key stays linear in the file.
    index: Index,
}

/// The keys' assignments, hashed by key. The table holds item indices
/// only, not copies of the keys: about 17 bytes a key.
#[derive(Default)]
struct Index {
    table: hashbrown::HashTable<Assigned>,
    state: RandomState,
}

/// The assignments of one key.
#[derive(Debug, Clone, Copy)]
struct Assigned {
    /// Index in `items` of the last assignment (the one Compose reads).
    last: usize,
    /// How many assignments there are.
    count: usize,
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys and lines only: the raw text holds the values.
        f.debug_struct("Document")
            .field("keys", &self.keys().collect::<Vec<_>>())
            .field("lines", &self.items.last().map_or(0, |i| i.line))
            .finish()
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("key", &self.key)
            .field("quote", &self.quote)
            .finish_non_exhaustive()
    }
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Whether an item may span lines: a quoted value.
fn entry_spans_lines(entry: Option<&Entry>) -> bool {
    entry.is_some_and(|e| e.quote != Quote::None)
}

/// Line terminators in `s` (`matches` finds them with memchr).
fn count_newlines(s: &str) -> usize {
    s.matches('\n').count()
}

fn is_key_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '.'
}

/// Whether `key` is a name the parser reads back as one key: letters,
/// digits, `_` and `.` (Docker Compose's rule).
pub fn is_key(key: &str) -> bool {
    !key.is_empty() && key.chars().all(is_key_char)
}

impl Document {
    /// An empty document.
    pub fn new() -> Self {
        Document {
            items: Vec::new(),
            crlf: false,
            index: Index::default(),
        }
    }

    /// Parses a file's bytes. Anything Docker Compose accepts parses; the
    /// error names line and column.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let before = &bytes[..e.valid_up_to()];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let col = String::from_utf8_lossy(before.rsplit(|&b| b == b'\n').next().unwrap_or(&[]))
                .chars()
                .count()
                + 1;
            ParseError {
                line,
                col,
                message: "not valid UTF-8".into(),
            }
        })?;
        let crlf = text
            .find('\n')
            .is_some_and(|i| i > 0 && text.as_bytes()[i - 1] == b'\r');
        let shared = Arc::new(Zeroizing::new(text.to_owned()));
        let mut items = Vec::new();
        let mut pos = 0;
        let mut line = 1;
        while pos < text.len() {
            let Parsed { entry, bare, end } = parse_item(text, pos, line)?;
            // Only a quoted value spans lines; any other item ends at its first.
            let newlines = if entry_spans_lines(entry.as_ref()) {
                count_newlines(&text[pos..end])
            } else {
                usize::from(text.as_bytes()[end - 1] == b'\n')
            };
            items.push(Item {
                raw: Raw::Span(Arc::clone(&shared), pos..end),
                line,
                entry,
                bare,
            });
            line += newlines;
            pos = end;
        }
        let mut doc = Document {
            items,
            crlf,
            index: Index::default(),
        };
        doc.reindex();
        Ok(doc)
    }

    /// The file's bytes: identical to the input when nothing was edited.
    pub fn render(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(
            self.items.iter().map(|i| i.raw.len()).sum(),
        ));
        for i in &self.items {
            out.push_str(&i.raw);
        }
        out
    }

    /// Every assignment in file order (duplicates included).
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.items.iter().filter_map(|i| i.entry.as_ref())
    }

    /// Every assignment with the line it starts on.
    pub fn entries_with_lines(&self) -> impl Iterator<Item = (usize, &Entry)> {
        self.items
            .iter()
            .filter_map(|i| i.entry.as_ref().map(|e| (i.line, e)))
    }

    /// Every assignment with its line and the item's raw text (the line, or
    /// lines for a multi-line value, with the terminator): for dialect checks.
    pub fn entries_with_raw(&self) -> impl Iterator<Item = (usize, &Entry, &str)> {
        self.items
            .iter()
            .filter_map(|i| i.entry.as_ref().map(|e| (i.line, e, &*i.raw)))
    }

    /// Keys in file order, duplicates included.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries().map(Entry::key)
    }

    /// `KEY` lines without `=`, with their lines: Compose and `docker run`
    /// take such a key from the environment they run in; the document keeps
    /// the line as it is and [`get`](Self::get) does not see it.
    pub fn bare_keys(&self) -> impl Iterator<Item = (usize, &str)> {
        self.items
            .iter()
            .filter_map(|i| i.bare.as_deref().map(|k| (i.line, k)))
    }

    /// Every key named at all, assigned or bare, in file order (duplicates
    /// included).
    pub fn all_keys(&self) -> impl Iterator<Item = &str> {
        self.items
            .iter()
            .filter_map(|i| i.entry.as_ref().map(Entry::key).or(i.bare.as_deref()))
    }

    /// `key` when it is assigned more than once.
    pub fn duplicate(&self, key: &str) -> Option<Duplicate> {
        if self.assigned(key).is_none_or(|a| a.count < 2) {
            return None;
        }
        let lines: Vec<usize> = self
            .entries_with_lines()
            .filter(|(_, e)| e.key == key)
            .map(|(l, _)| l)
            .collect();
        (lines.len() > 1).then(|| Duplicate {
            key: key.to_owned(),
            lines,
        })
    }

    /// Every key assigned more than once, in the order of first assignment.
    pub fn duplicates(&self) -> Vec<Duplicate> {
        // Sorted by name, the copies of a key are neighbours; only they
        // are copied out (`check` asks this of every file).
        let mut keyed: Vec<(&str, usize)> = (self.entries_with_lines())
            .map(|(line, e)| (e.key(), line))
            .collect();
        keyed.sort_unstable();
        let mut out: Vec<Duplicate> = keyed
            .chunk_by(|a, b| a.0 == b.0)
            .filter(|run| run.len() > 1)
            .map(|run| Duplicate {
                key: run[0].0.to_owned(),
                lines: run.iter().map(|&(_, line)| line).collect(),
            })
            .collect();
        out.sort_unstable_by_key(|d| d.lines[0]);
        out
    }

    /// The value Compose uses for `key`: the last assignment wins.
    pub fn get(&self, key: &str) -> Option<&SecretValue> {
        self.last_entry(key).map(|(_, e)| e.value())
    }

    /// The line of the last assignment of `key`: the one Compose reads.
    pub fn line_of(&self, key: &str) -> Option<usize> {
        self.last_entry(key).map(|(line, _)| line)
    }

    /// The last assignment of `key`, with its line.
    fn last_entry(&self, key: &str) -> Option<(usize, &Entry)> {
        let item = &self.items[self.last_index_of(key)?];
        item.entry.as_ref().map(|e| (item.line, e))
    }

    fn newline(&self) -> &'static str {
        if self.crlf {
            "\r\n"
        } else {
            "\n"
        }
    }

    /// Makes sure the last line ends with a line terminator before an append.
    fn terminate_last_line(&mut self) {
        let nl = self.newline();
        if let Some(last) = self.items.last_mut() {
            if !last.raw.ends_with('\n') {
                last.raw.append(nl);
            }
        }
    }

    fn next_line(&self) -> usize {
        self.items
            .last()
            .map_or(1, |i| i.line + count_newlines(&i.raw))
    }

    /// Appends a comment line (`text` without the `#`; empty for a blank line).
    pub fn push_comment(&mut self, text: &str) {
        self.terminate_last_line();
        let raw = if text.is_empty() {
            String::new()
        } else {
            format!("# {text}")
        };
        self.items.push(Item {
            raw: Raw::Owned(Zeroizing::new(format!("{raw}{}", self.newline()))),
            line: self.next_line(),
            entry: None,
            bare: None,
        });
    }

    /// Appends `KEY=value`, quoted as [`encode`] chooses. Returns the readers
    /// that will read the value differently; an error, with nothing
    /// changed, when `key` is not a variable name (see [`is_key`]).
    pub fn push(&mut self, key: &str, value: &SecretValue) -> Result<Vec<Reader>, InvalidKey> {
        InvalidKey::check(key)?;
        self.terminate_last_line();
        let encoded = encode(value.expose());
        let line = self.next_line();
        let raw = joined(&[key, "=", &encoded.text, self.newline()]);
        let item = reparse(raw, line);
        self.items.push(item);
        self.index_last();
        Ok(encoded.disagreeing)
    }

    /// Replaces the value of the last assignment of `key`, keeping its
    /// `export`, spacing and inline comment; appends when `key` is absent.
    /// An error, with nothing changed, when `key` is not a variable name.
    pub fn set(&mut self, key: &str, value: &SecretValue) -> Result<Vec<Reader>, InvalidKey> {
        InvalidKey::check(key)?;
        let Some(at) = self.last_index_of(key) else {
            return self.push(key, value);
        };
        // The item keeps its key: the index stays as it is.
        let item = &mut self.items[at];
        let encoded = encode(value.expose());
        let range = item
            .entry
            .as_ref()
            .map(|e| e.value_range.clone())
            .expect("filtered on entries");
        let raw = joined(&[
            &item.raw[..range.start],
            &encoded.text,
            &item.raw[range.end..],
        ]);
        *item = match parse_item(&raw, 0, item.line) {
            Ok(Parsed { entry, bare, end }) if end == raw.len() => Item {
                raw: Raw::Owned(raw),
                line: item.line,
                entry,
                bare,
            },
            // The old line's surroundings do not fit the new value's quoting:
            // write the assignment afresh, keeping the line terminator.
            _ => {
                let nl = if item.raw.ends_with("\r\n") {
                    "\r\n"
                } else if item.raw.ends_with('\n') {
                    "\n"
                } else {
                    ""
                };
                reparse(joined(&[key, "=", &encoded.text, nl]), item.line)
            }
        };
        Ok(encoded.disagreeing)
    }
}

impl Document {
    fn last_index_of(&self, key: &str) -> Option<usize> {
        self.assigned(key).map(|a| a.last)
    }

    /// The assignments of `key`.
    fn assigned(&self, key: &str) -> Option<&Assigned> {
        let items = &self.items;
        (self.index.table).find(self.index.state.hash_one(key), |a| {
            key_at(items, a.last) == key
        })
    }

    /// Records the assignment of item `at`, if it is one, as the last of
    /// its key.
    fn index_item(&mut self, at: usize) {
        let Some(e) = &self.items[at].entry else {
            return;
        };
        let Index { table, state } = &mut self.index;
        let items = &self.items;
        let entry = table.entry(
            state.hash_one(e.key.as_str()),
            |a| key_at(items, a.last) == e.key,
            |a| state.hash_one(key_at(items, a.last)),
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(mut slot) => {
                let slot = slot.get_mut();
                slot.last = at;
                slot.count += 1;
            }
            hashbrown::hash_table::Entry::Vacant(slot) => {
                slot.insert(Assigned { last: at, count: 1 });
            }
        }
    }

    /// Records the assignment just pushed.
    fn index_last(&mut self) {
        self.index_item(self.items.len() - 1);
    }

    /// Rebuilds the index from the items.
    fn reindex(&mut self) {
        self.index.table.clear();
        for at in 0..self.items.len() {
            self.index_item(at);
        }
    }

    /// Renumbers lines, and reindexes keys, after an insertion or removal.
    fn renumber(&mut self) {
        let mut line = 1;
        for item in &mut self.items {
            item.line = line;
            line += count_newlines(&item.raw);
        }
        self.reindex();
    }

    /// The comment directly above the last assignment of `key`, when it
    /// starts with `# {tag}` (for example `# rotated:`), without the `# `.
    pub fn tag_above(&self, key: &str, tag: &str) -> Option<&str> {
        let i = self.last_index_of(key)?;
        let above = self.items.get(i.checked_sub(1)?)?;
        is_tag(&above.raw, tag).then(|| {
            above
                .raw
                .trim_end_matches(['\r', '\n'])
                .strip_prefix("# ")
                .unwrap_or_default()
        })
    }

    /// Sets the comment line directly above the last assignment of `key` to
    /// `# {text}`, replacing one that starts with `# {tag}`. Returns false
    /// when `key` is absent.
    pub fn set_tag_above(&mut self, key: &str, tag: &str, text: &str) -> bool {
        if self.last_index_of(key).is_none() {
            return false;
        }
        self.set_tags_above([key], tag, text);
        true
    }

    /// [`set_tag_above`](Self::set_tag_above) for each of `keys` present,
    /// in one pass over the document (one call per key would move the
    /// items after each insertion).
    pub fn set_tags_above<'k>(
        &mut self,
        keys: impl IntoIterator<Item = &'k str>,
        tag: &str,
        text: &str,
    ) {
        let mut at: Vec<usize> = (keys.into_iter())
            .filter_map(|k| self.last_index_of(k))
            .collect();
        if at.is_empty() {
            return;
        }
        at.sort_unstable();
        at.dedup();
        let raw = format!("# {text}{}", self.newline());
        let old = std::mem::take(&mut self.items);
        let mut targets = at.into_iter().peekable();
        for (i, item) in old.into_iter().enumerate() {
            if targets.next_if_eq(&i).is_some() {
                let tagged = self
                    .items
                    .last()
                    .is_some_and(|above| is_tag(&above.raw, tag));
                if tagged {
                    self.items.pop();
                }
                let tag_item = reparse(Zeroizing::new(raw.clone()), item.line);
                self.items.push(tag_item);
            }
            self.items.push(item);
        }
        self.renumber();
    }

    /// Inserts `KEY=value` right after the last assignment of `anchor`
    /// (appends when `anchor` is absent). Returns the readers that disagree;
    /// an error, with nothing changed, when `key` is not a variable name.
    pub fn insert_after(
        &mut self,
        anchor: &str,
        key: &str,
        value: &SecretValue,
    ) -> Result<Vec<Reader>, InvalidKey> {
        InvalidKey::check(key)?;
        let Some(i) = self.last_index_of(anchor) else {
            return self.push(key, value);
        };
        if !self.items[i].raw.ends_with('\n') {
            let nl = self.newline();
            self.items[i].raw.append(nl);
        }
        // A neighbour of an `export` line is exported too, so a shell that
        // sources the file sees both.
        let export = self.items[i]
            .raw
            .trim_start()
            .strip_prefix("export")
            .is_some_and(|r| r.starts_with([' ', '\t']));
        let encoded = encode(value.expose());
        let prefix = if export { "export " } else { "" };
        let item = reparse(
            joined(&[prefix, key, "=", &encoded.text, self.newline()]),
            0,
        );
        self.items.insert(i + 1, item);
        self.renumber();
        Ok(encoded.disagreeing)
    }

    /// [`Document::set`] for a manifest's variable: manifests admit only
    /// names that are keys (`is_env_name` implies [`is_key`]), so it cannot
    /// be refused.
    pub(crate) fn set_var(&mut self, var: &str, value: &SecretValue) -> Vec<Reader> {
        self.set(var, value).unwrap_or_default()
    }

    /// [`Document::push`] for a manifest's variable (see [`Document::set_var`]).
    pub(crate) fn push_var(&mut self, var: &str, value: &SecretValue) -> Vec<Reader> {
        self.push(var, value).unwrap_or_default()
    }

    /// Removes every assignment of `key`. Returns how many were removed.
    pub fn remove(&mut self, key: &str) -> usize {
        let before = self.items.len();
        self.items
            .retain(|i| i.entry.as_ref().is_none_or(|e| e.key != key));
        self.renumber();
        before - self.items.len()
    }
}

impl Default for Document {
    fn default() -> Self {
        Self::new()
    }
}

/// The key of item `at`, which the index holds: an assignment.
fn key_at(items: &[Item], at: usize) -> &str {
    items[at].entry.as_ref().map_or("", |e| e.key.as_str())
}

/// Whether `raw` is a comment line `# {tag}...`.
fn is_tag(raw: &str, tag: &str) -> bool {
    raw.trim_end_matches(['\r', '\n'])
        .strip_prefix("# ")
        .is_some_and(|text| text.starts_with(tag))
}

/// Parses a single `KEY=<encoded value>` line that this module just produced
/// (a key that parsed before and a value from [`encode`] always parse).
fn reparse(raw: Zeroizing<String>, line: usize) -> Item {
    let Parsed { entry, bare, end } = parse_item(&raw, 0, line).expect("encode() output parses");
    debug_assert_eq!(end, raw.len());
    Item {
        raw: Raw::Owned(raw),
        line,
        entry,
        bare,
    }
}

/// Parses one item starting at `start`: its assignment, if it is one, and
/// where the next item begins.
fn parse_item(text: &str, start: usize, line: usize) -> Result<Parsed, ParseError> {
    let bytes = text.as_bytes();
    let line_end = text[start..]
        .find('\n')
        .map_or(text.len(), |i| start + i + 1);
    let content_end = {
        let mut e = line_end;
        if e > start && bytes[e - 1] == b'\n' {
            e -= 1;
        }
        if e > start && bytes[e - 1] == b'\r' {
            e -= 1;
        }
        e
    };
    let err = |at: usize, message: &str| {
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        Err(ParseError {
            line: line + text[start..at].matches('\n').count(),
            col: text[line_start..at].chars().count() + 1,
            message: message.to_owned(),
        })
    };

    let mut p = start;
    while p < content_end && is_blank(bytes[p]) {
        p += 1;
    }
    if p == content_end || bytes[p] == b'#' {
        return Ok(Parsed {
            entry: None,
            bare: None,
            end: line_end,
        });
    }
    if text[p..content_end].starts_with("export")
        && text[p + 6..content_end].starts_with([' ', '\t'])
    {
        p += 6;
        while p < content_end && is_blank(bytes[p]) {
            p += 1;
        }
    }
    let key_start = p;
    for c in text[p..content_end].chars() {
        if !is_key_char(c) {
            break;
        }
        p += c.len_utf8();
    }
    if p == key_start {
        return err(p, "expected a variable name");
    }
    let key = text[key_start..p].to_owned();
    while p < content_end && is_blank(bytes[p]) {
        p += 1;
    }
    if p == content_end {
        // `KEY` alone: Compose takes the value from its own environment.
        return Ok(Parsed {
            entry: None,
            bare: Some(key),
            end: line_end,
        });
    }
    if bytes[p] != b'=' {
        return err(p, "expected `=` after the variable name");
    }
    p += 1;
    // Compose also skips NEL and no-break spaces here.
    for c in text[p..content_end].chars() {
        if !(c == ' '
            || c == '\t'
            || c == '\u{b}'
            || c == '\u{c}'
            || c == '\u{85}'
            || c == '\u{a0}')
        {
            break;
        }
        p += c.len_utf8();
    }
    let value_start = p;
    let (quote, value_end, item_end, value, interpolates) = match bytes.get(p) {
        Some(&q @ (b'\'' | b'"')) if p < content_end => {
            let mut i = p + 1;
            let close = loop {
                match bytes.get(i) {
                    None => return err(value_start, "unterminated quoted value"),
                    Some(b'\\') => i += 2,
                    Some(&c) if c == q => break i,
                    Some(_) => i += 1,
                }
            };
            let inner = &text[p + 1..close];
            let close_line_end = text[close..]
                .find('\n')
                .map_or(text.len(), |i| close + i + 1);
            let mut t = close + 1;
            // White space in Unicode's sense, as Compose skips it.
            t += text[t..close_line_end].len()
                - text[t..close_line_end]
                    .trim_start_matches(char::is_whitespace)
                    .len();
            if t < close_line_end && bytes[t] != b'#' {
                return err(t, "unexpected text after the closing quote");
            }
            if q == b'\'' {
                (
                    Quote::Single,
                    close + 1,
                    close_line_end,
                    unescape_single(inner),
                    false,
                )
            } else {
                let (v, interp) = unescape_double(inner);
                (Quote::Double, close + 1, close_line_end, v, interp)
            }
        }
        _ => {
            let mut e = value_start;
            let rest = &bytes[value_start..content_end];
            for (i, &b) in rest.iter().enumerate() {
                if b == b'#' && i > 0 && is_blank(rest[i - 1]) {
                    break;
                }
                e = value_start + i + 1;
            }
            // Trailing white space in Unicode's sense, as Compose trims it.
            e = value_start
                + text[value_start..e]
                    .trim_end_matches(char::is_whitespace)
                    .len();
            let v = text[value_start..e].to_owned();
            let interp = v.contains('$');
            (Quote::None, e, line_end, v, interp)
        }
    };
    let entry = Entry {
        key,
        value_range: value_start - start..value_end - start,
        quote,
        value: SecretValue::new(value),
        interpolates,
    };
    Ok(Parsed {
        entry: Some(entry),
        bare: None,
        end: item_end,
    })
}

/// Compose's one single-quote escape, `\'`. Sized once: the value is
/// never longer than its spelling.
fn unescape_single(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    for (i, part) in inner.split("\\'").enumerate() {
        if i > 0 {
            out.push('\'');
        }
        out.push_str(part);
    }
    out
}

/// Compose's double-quote escapes; other backslashes stay as they are.
/// Sized once, like [`unescape_single`].
fn unescape_double(inner: &str) -> (String, bool) {
    let mut out = String::with_capacity(inner.len());
    let mut interpolates = false;
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some(e @ ('\\' | '"' | '$')) => out.push(e),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '$' => {
                interpolates = true;
                out.push('$');
            }
            c => out.push(c),
        }
    }
    (out, interpolates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(s: &str) -> Document {
        Document::parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn round_trips_byte_for_byte() {
        for s in [
            "",
            "A=1",
            "A=1\n",
            "# c\r\nA=1\r\n\r\nexport B = 'x y' # note\r\n",
            "A=\"multi\nline\"\nB=2\n",
            "A=1\nA=2\n  \t\n#end",
            "K=a #b\nK2=a#b\nE=\nU=é\n",
        ] {
            assert_eq!(doc(s).render().as_str(), s);
        }
    }

    #[test]
    fn reads_values_as_compose_does() {
        let d = doc(
            "A=a #b\nB=a#b\nC='x\\'y'\nD=\"l1\\nl2 \\\"q\\\" \\$x\"\nexport E=  v  \nF=\nA=last\n",
        );
        assert_eq!(d.get("A").unwrap().expose(), "last");
        assert_eq!(d.get("B").unwrap().expose(), "a#b");
        assert_eq!(d.get("C").unwrap().expose(), "x'y");
        assert_eq!(d.get("D").unwrap().expose(), "l1\nl2 \"q\" $x");
        assert_eq!(d.get("E").unwrap().expose(), "v");
        assert_eq!(d.get("F").unwrap().expose(), "");
        assert_eq!(
            d.keys().collect::<Vec<_>>(),
            ["A", "B", "C", "D", "E", "F", "A"]
        );
    }

    #[test]
    fn bare_keys_and_duplicates_are_listed_and_kept() {
        let text = "FROM_ENV\nA=1\nexport  HOST \nA=2\n# c\nA=3\n";
        let d = doc(text);
        assert_eq!(d.render().as_str(), text);
        assert_eq!(
            d.bare_keys().collect::<Vec<_>>(),
            [(1, "FROM_ENV"), (3, "HOST")]
        );
        assert!(d.get("FROM_ENV").is_none());
        assert_eq!(
            d.all_keys().collect::<Vec<_>>(),
            ["FROM_ENV", "A", "HOST", "A", "A"]
        );
        let dup = d.duplicate("A").unwrap();
        assert_eq!(dup.lines, [2, 4, 6]);
        assert_eq!(dup.to_string(), "A is assigned 3 times (lines 2, 4 and 6)");
        assert_eq!(d.duplicates(), [dup]);
        assert!(doc("A=1\nB=1\n").duplicates().is_empty());
        // Several keys: in the order of their first assignment.
        let several = doc("Z=1\nA=1\nM=0\nZ=2\nA=2\nZ=3\n").duplicates();
        let listed: Vec<(&str, &[usize])> = several
            .iter()
            .map(|d| (d.key.as_str(), &d.lines[..]))
            .collect();
        assert_eq!(listed, [("Z", &[1, 4, 6][..]), ("A", &[2, 5][..])]);
    }

    #[test]
    fn errors_have_line_and_column() {
        assert_eq!(
            Document::parse(b"A=1\nB='open\n").unwrap_err().to_string(),
            "2:3: unterminated quoted value"
        );
        assert_eq!(
            Document::parse(b"A=1\n=x\n").unwrap_err().to_string(),
            "2:1: expected a variable name"
        );
        assert_eq!(
            Document::parse(b"A B=1\n").unwrap_err().to_string(),
            "1:3: expected `=` after the variable name"
        );
        assert_eq!(
            Document::parse(b"A='x' y\n").unwrap_err().to_string(),
            "1:7: unexpected text after the closing quote"
        );
        assert_eq!(
            Document::parse(b"A=1\nB=\xff\n").unwrap_err().to_string(),
            "2:3: not valid UTF-8"
        );
    }

    #[test]
    fn edits_touch_only_their_lines() {
        let mut e = doc("export A=1\nB=2\n");
        e.insert_after("A", "A_PREVIOUS", &SecretValue::new("0".into()))
            .unwrap();
        e.insert_after("B", "B_PREVIOUS", &SecretValue::new("1".into()))
            .unwrap();
        assert_eq!(
            e.render().as_str(),
            "export A=1\nexport A_PREVIOUS=0\nB=2\nB_PREVIOUS=1\n"
        );
        let mut d = doc("# head\r\nexport A = old # keep\r\nB=2");
        d.set("A", &SecretValue::new("new".into())).unwrap();
        d.set("C", &SecretValue::new("it's".into())).unwrap();
        assert_eq!(
            d.render().as_str(),
            "# head\r\nexport A = new # keep\r\nB=2\r\nC=\"it's\"\r\n"
        );
        assert_eq!(d.get("C").unwrap().expose(), "it's");
    }

    #[test]
    fn tags_insertions_and_removals() {
        let mut d = doc("A=1\r\nB=2");
        assert!(d.set_tag_above("B", "rotated:", "rotated: t1"));
        assert_eq!(d.tag_above("B", "rotated:"), Some("rotated: t1"));
        assert!(d.set_tag_above("B", "rotated:", "rotated: t2"));
        d.insert_after("B", "B_PREVIOUS", &SecretValue::new("2".into()))
            .unwrap();
        d.insert_after("A", "A2", &SecretValue::new("x".into()))
            .unwrap();
        assert_eq!(
            d.render().as_str(),
            "A=1\r\nA2=x\r\n# rotated: t2\r\nB=2\r\nB_PREVIOUS=2\r\n"
        );
        assert_eq!(d.remove("A2"), 1);
        assert_eq!(
            d.render().as_str(),
            "A=1\r\n# rotated: t2\r\nB=2\r\nB_PREVIOUS=2\r\n"
        );
        assert_eq!(
            d.entries_with_lines()
                .map(|(l, e)| (l, e.key()))
                .collect::<Vec<_>>(),
            [(1, "A"), (3, "B"), (4, "B_PREVIOUS")]
        );
        assert!(!d.set_tag_above("Z", "rotated:", "x"));
    }

    /// Found by `cargo fuzz`: a value between no-break spaces, replaced by a
    /// quoted one, left a no-break space after the closing quote, which the
    /// parser refused although Compose skips it.
    #[test]
    fn regression_fuzz_nbsp_after_edited_quoted_value() {
        let mut d = doc("A=\u{a0}nbsp\u{a0}\n");
        assert_eq!(d.get("A").unwrap().expose(), "nbsp");
        d.set("A", &SecretValue::new("x y".into())).unwrap();
        assert_eq!(d.render().as_str(), "A=\u{a0}'x y'\u{a0}\n");
        assert_eq!(
            Document::parse(d.render().as_bytes())
                .unwrap()
                .get("A")
                .unwrap()
                .expose(),
            "x y"
        );
    }

    /// What the index answers, computed by scanning the items as the
    /// document did before it kept one.
    fn scanned(d: &Document, key: &str) -> (Option<String>, Option<usize>, Option<Vec<usize>>) {
        let lines: Vec<usize> = d
            .entries_with_lines()
            .filter(|(_, e)| e.key() == key)
            .map(|(l, _)| l)
            .collect();
        let value = d
            .entries()
            .filter(|e| e.key() == key)
            .last()
            .map(|e| e.value().expose().to_owned());
        let duplicate = (lines.len() > 1).then(|| lines.clone());
        (value, lines.last().copied(), duplicate)
    }

    #[derive(Debug, Clone)]
    enum Edit {
        Push(usize, String),
        Set(usize, String),
        InsertAfter(usize, usize, String),
        Remove(usize),
        Tag(usize),
        Tags(Vec<usize>),
        Comment,
    }

    const KEYS: [&str; 4] = ["A", "B", "C", "D"];

    fn edit() -> impl proptest::strategy::Strategy<Value = Edit> {
        use proptest::prelude::*;
        let key = 0..KEYS.len();
        let value = "[a-z #'\"\n]{0,4}";
        prop_oneof![
            (key.clone(), value).prop_map(|(k, v)| Edit::Push(k, v)),
            (key.clone(), value).prop_map(|(k, v)| Edit::Set(k, v)),
            (key.clone(), key.clone(), value).prop_map(|(a, k, v)| Edit::InsertAfter(a, k, v)),
            key.clone().prop_map(Edit::Remove),
            key.clone().prop_map(Edit::Tag),
            proptest::collection::vec(key, 0..4).prop_map(Edit::Tags),
            Just(Edit::Comment),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]
        /// The key index never goes stale: after any edits, lookups agree
        /// with a scan, and the document reads back as it renders.
        #[test]
        fn the_index_agrees_with_a_scan(
            start in "([A-D]=[a-z]{0,2}\n|# r\n|\n){0,8}",
            edits in proptest::collection::vec(edit(), 0..12),
        ) {
            let mut d = doc(&start);
            for e in edits {
                let v = |s: &str| SecretValue::new(s.to_owned());
                match e {
                    Edit::Push(k, s) => { d.push(KEYS[k], &v(&s)).unwrap(); }
                    Edit::Set(k, s) => { d.set(KEYS[k], &v(&s)).unwrap(); }
                    Edit::InsertAfter(a, k, s) => {
                        d.insert_after(KEYS[a], KEYS[k], &v(&s)).unwrap();
                    }
                    Edit::Remove(k) => { d.remove(KEYS[k]); }
                    Edit::Tag(k) => { d.set_tag_above(KEYS[k], "r", "r x"); }
                    Edit::Tags(ks) => {
                        // One pass does what one call per key does.
                        let mut one_by_one = doc(&d.render());
                        for &k in &ks {
                            one_by_one.set_tag_above(KEYS[k], "r", "r y");
                        }
                        d.set_tags_above(ks.iter().map(|&k| KEYS[k]), "r", "r y");
                        proptest::prop_assert_eq!(d.render(), one_by_one.render());
                    }
                    Edit::Comment => d.push_comment("c"),
                }
                let reread = doc(&d.render());
                for key in KEYS {
                    let expected = scanned(&reread, key);
                    let got = (
                        d.get(key).map(|x| x.expose().to_owned()),
                        d.line_of(key),
                        d.duplicate(key).map(|x| x.lines),
                    );
                    proptest::prop_assert_eq!(&got, &expected, "{}", key);
                    proptest::prop_assert_eq!(&scanned(&d, key), &expected, "{}", key);
                }
            }
        }
    }

    #[test]
    fn debug_shows_no_values() {
        let d = doc("A=topsecretvalue\n");
        assert!(!format!("{d:?}").contains("topsecret"));
        assert!(!format!("{:?}", d.entries().next().unwrap()).contains("topsecret"));
    }

    #[test]
    fn written_values_read_back_in_dotenvy() {
        let mut d = Document::new();
        let values = [
            "plain",
            "a b",
            "{\"k\":\"v\"}",
            "it's",
            "x\ny",
            "pa$$word",
            "#lead",
            "tail ",
        ];
        for (i, v) in values.iter().enumerate() {
            d.push(&format!("K{i}"), &SecretValue::new((*v).into()))
                .unwrap();
        }
        let text = d.render();
        let parsed: std::collections::HashMap<String, String> =
            dotenvy::from_read_iter(text.as_bytes())
                .map(|r| r.unwrap())
                .collect();
        for (i, v) in values.iter().enumerate() {
            assert_eq!(parsed[&format!("K{i}")], *v, "value {i}");
            assert_eq!(doc(&text).get(&format!("K{i}")).unwrap().expose(), *v);
        }
    }
}

//! Reading a TOML document with its positions, applying environment
//! overrides, and turning every error into a [`ConfigError`] that says where.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rimguard_core::ConfigError;
use rimguard_core::config::line_column;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The prefix of the environment variables that override single values.
pub const ENV_PREFIX: &str = "RIMGUARD__";

/// Where each value of a loaded file sits, so that an error found after
/// parsing (a layer refusing a value) can still name its line and column.
#[derive(Debug, Clone, Default)]
pub struct Locator {
    file: Option<PathBuf>,
    positions: BTreeMap<String, (usize, usize)>,
    overrides: Vec<(String, String)>,
}

impl Locator {
    /// The file the configuration was read from.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// Adds the file, line and column of `error`'s field, or of its nearest
    /// enclosing section; or the environment variable that set it.
    ///
    /// An error that already has a position is returned as it is.
    pub fn locate(&self, error: ConfigError) -> ConfigError {
        if error.line().is_some() || error.file().is_some() {
            return error;
        }
        let field = error.field().to_owned();

        if let Some((_, var)) = self.overrides.iter().find(|(path, _)| covers(path, &field)) {
            return error.in_file(format!("environment variable {var}"));
        }
        let error = match &self.file {
            Some(file) => error.in_file(file),
            None => error,
        };
        match self.nearest(&field) {
            Some((line, column)) => error.at(line, column),
            None => error,
        }
    }

    fn nearest(&self, field: &str) -> Option<(usize, usize)> {
        let mut path = field;
        loop {
            if let Some(position) = self.positions.get(path) {
                return Some(*position);
            }
            path = parent(path)?;
        }
    }
}

/// Reads `text` (from `file`, when named) with `env` applied, into `T`.
pub(crate) fn deserialize<T: DeserializeOwned>(
    text: &str,
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<(T, Arc<Locator>), ConfigError> {
    let in_file = |error: ConfigError| match file {
        Some(file) => error.in_file(file),
        None => error,
    };
    let env: Vec<(String, String)> = env
        .into_iter()
        .filter(|(var, _)| var.starts_with(ENV_PREFIX))
        .collect();
    let mut root = DeTable::parse(text).map_err(|e| in_file(syntax_error(text, &e)))?;

    let mut locator = Locator {
        file: file.map(Path::to_path_buf),
        ..Locator::default()
    };
    index(root.get_ref(), "", text, &mut locator.positions);
    for (var, value) in &env {
        let path = &var[ENV_PREFIX.len()..];
        let field = apply_override(root.get_mut(), path, value)
            .map_err(|e| e.in_file(format!("environment variable {var}")))?;
        locator.overrides.push((field, var.clone()));
    }

    let deserializer = toml::de::Deserializer::from(root);
    match serde_path_to_error::deserialize::<_, T>(deserializer) {
        Ok(value) => Ok((value, Arc::new(locator))),
        Err(error) => Err(serde_error(text, &locator, &error)),
    }
}

fn syntax_error(text: &str, error: &toml::de::Error) -> ConfigError {
    let refused = ConfigError::new("", format!("not valid TOML: {}", scrub(error.message())));
    match error.span() {
        Some(span) => refused.at_offset(text, span.start),
        None => refused,
    }
}

fn serde_error(
    text: &str,
    locator: &Locator,
    error: &serde_path_to_error::Error<toml::de::Error>,
) -> ConfigError {
    let field = dotted(error.path());
    let refused = ConfigError::new(field.clone(), scrub(error.inner().message()));

    let overridden = locator
        .overrides
        .iter()
        .any(|(path, _)| covers(path, &field));
    let indexed = locator.positions.contains_key(&field);
    let unknown_key = error.inner().message().starts_with("unknown field");
    match error.inner().span() {
        Some(span) if !overridden && (unknown_key || !indexed) && !span.is_empty() => {
            let refused = refused.at_offset(text, span.start);
            match &locator.file {
                Some(file) => refused.in_file(file),
                None => refused,
            }
        }
        _ => locator.locate(refused),
    }
}

/// The dotted form of a serde path: `rate_limits.per_ip.policies[0].quota`.
fn dotted(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;

    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } => push_key(&mut out, key),
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

fn push_key(out: &mut String, key: &str) {
    if !out.is_empty() {
        out.push('.');
    }
    out.push_str(key);
}

/// Hides quoted values that serde's messages echo (`invalid type: string
/// "…"`), so that a secret pasted by mistake never reaches an error.
fn scrub(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut parts = message.split('"');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    let mut quoted = true;
    for part in parts {
        if quoted {
            out.push_str("\"…\"");
        } else {
            out.push_str(part);
        }
        quoted = !quoted;
    }
    out
}

/// Whether an error on `field` concerns the value at `path` or inside it.
fn covers(path: &str, field: &str) -> bool {
    field == path
        || field
            .strip_prefix(path)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

fn parent(path: &str) -> Option<&str> {
    let cut = path.rfind(['.', '['])?;
    Some(&path[..cut])
}

fn index(
    table: &DeTable<'_>,
    prefix: &str,
    text: &str,
    out: &mut BTreeMap<String, (usize, usize)>,
) {
    for (key, value) in table {
        let mut path = prefix.to_owned();
        push_key(&mut path, key.get_ref());
        index_value(value, path, key.span(), text, out);
    }
}

fn index_value(
    value: &Spanned<DeValue<'_>>,
    path: String,
    key_span: Range<usize>,
    text: &str,
    out: &mut BTreeMap<String, (usize, usize)>,
) {
    match value.get_ref() {
        DeValue::Table(table) => {
            index(table, &path, text, out);
            out.insert(path, line_column(text, key_span.start));
        }
        DeValue::Array(array) => {
            for (i, item) in array.iter().enumerate() {
                let item_path = format!("{path}[{i}]");
                index_value(item, item_path, item.span(), text, out);
            }
            out.insert(path, line_column(text, value.span().start));
        }
        _ => {
            out.insert(path, line_column(text, value.span().start));
        }
    }
}

/// Sets the value that `RIMGUARD__A__B__C` names; returns its dotted path.
///
/// Each segment matches an existing key ignoring case and `-`/`_`; a number
/// indexes an existing array. The value keeps the type of the value it
/// replaces when that was a string; otherwise it is read as a TOML value
/// (`100`, `true`, `["a", "b"]`) and, failing that, taken as a string.
fn apply_override<'a>(
    root: &mut DeTable<'a>,
    path: &str,
    raw: &'a str,
) -> Result<String, ConfigError> {
    let segments: Vec<&str> = path.split("__").collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Err(ConfigError::new("", "empty segment in the variable name"));
    }

    let mut document = DeValue::Table(std::mem::take(root));
    let result = set_path(&mut document, &segments, raw);
    if let DeValue::Table(table) = document {
        *root = table;
    }
    result
}

fn set_path<'a>(
    document: &mut DeValue<'a>,
    segments: &[&str],
    raw: &'a str,
) -> Result<String, ConfigError> {
    let mut dotted_path = String::new();
    let mut current = document;
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        current = match current {
            DeValue::Array(array) => {
                let index: usize = segment.parse().map_err(|_| {
                    ConfigError::new(dotted_path.clone(), "is an array: index it with a number")
                })?;
                dotted_path.push_str(&format!("[{index}]"));
                let item = array
                    .get_mut(index)
                    .ok_or_else(|| ConfigError::new(dotted_path.clone(), "no such array entry"))?;
                item.get_mut()
            }
            DeValue::Table(table) => {
                let key = find_key(table, segment);
                push_key(&mut dotted_path, &key);
                let entry = table
                    .entry(Spanned::new(0..0, Cow::Owned(key)))
                    .or_insert_with(|| Spanned::new(0..0, DeValue::Table(DeTable::new())));
                entry.get_mut()
            }
            _ => return Err(ConfigError::new(dotted_path, "is not a table")),
        };
        if last {
            let structured = raw.trim_start().starts_with(['{', '[']);
            let keep_string = matches!(current, DeValue::String(_)) && !structured;
            *current = parse_value(raw, keep_string);
        }
    }
    Ok(dotted_path)
}

fn find_key(table: &DeTable<'_>, segment: &str) -> String {
    let wanted = normalize(segment);
    table
        .keys()
        .find(|key| normalize(key.get_ref()) == wanted)
        .map_or(wanted, |key| key.get_ref().to_string())
}

fn normalize(key: &str) -> String {
    key.to_ascii_lowercase().replace('-', "_")
}

fn parse_value(raw: &str, keep_string: bool) -> DeValue<'_> {
    if !keep_string && let Ok(value) = DeValue::parse(raw) {
        return value.into_inner();
    }
    DeValue::String(Cow::Borrowed(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_hides_every_quoted_value() {
        let message = r#"invalid type: string "sk_live_123", expected u32"#;
        assert_eq!(scrub(message), r#"invalid type: string "…", expected u32"#);
        assert_eq!(scrub("unknown field `x`"), "unknown field `x`");
    }

    #[test]
    fn covers_matches_the_path_and_what_is_inside_it() {
        assert!(covers("a.b", "a.b"));
        assert!(covers("a.b", "a.b.c"));
        assert!(covers("a.b", "a.b[0]"));
        assert!(!covers("a.b", "a.bc"));
    }

    #[test]
    fn parent_walks_up_keys_and_indexes() {
        assert_eq!(parent("a.b[0].c"), Some("a.b[0]"));
        assert_eq!(parent("a.b[0]"), Some("a.b"));
        assert_eq!(parent("a"), None);
    }
}

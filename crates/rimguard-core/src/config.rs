//! Configuration errors that say where the mistake is.
//!
//! Every rimguard builder that can refuse a configuration returns a
//! [`ConfigError`]: the field that is wrong (a dotted path such as
//! `rate_limits.per_ip.policies[0].quota`), what is wrong with it, and, when
//! the value came from a file, the file, line and column.
//!
//! # Example
//!
//! ```
//! use rimguard_core::ConfigError;
//!
//! let text = "[client_ip]\nstrategy = \"leftmost\"\n";
//! let span = text.find("\"leftmost\"").unwrap();
//! let error = ConfigError::new("client_ip.strategy", "unknown strategy")
//!     .in_file("rimguard.toml")
//!     .at_offset(text, span);
//!
//! assert_eq!(error.to_string(), "rimguard.toml:2:12: client_ip.strategy: unknown strategy");
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

/// A refused configuration value: which field, why, and where.
///
/// See the [module docs](self) for an example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    field: String,
    message: String,
    file: Option<PathBuf>,
    position: Option<(usize, usize)>,
}

impl ConfigError {
    /// An error for `field` (a dotted path) with a short `message`.
    ///
    /// The message must not contain secret values.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            file: None,
            position: None,
        }
    }

    /// Names the file the value came from.
    pub fn in_file(mut self, file: impl AsRef<Path>) -> Self {
        self.file = Some(file.as_ref().to_path_buf());
        self
    }

    /// Sets the 1-based line and column.
    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.position = Some((line, column));
        self
    }

    /// Sets the line and column of byte `offset` in `text`.
    pub fn at_offset(self, text: &str, offset: usize) -> Self {
        let (line, column) = line_column(text, offset);
        self.at(line, column)
    }

    /// Prefixes the field with the path of the section it sits in, so a
    /// crate can report `policies[0].quota` and the caller make it
    /// `rate_limits.per_ip.policies[0].quota`.
    pub fn within(mut self, section: &str) -> Self {
        if self.field.is_empty() {
            self.field = section.to_owned();
        } else if !section.is_empty() {
            let sep = if self.field.starts_with('[') { "" } else { "." };
            self.field = format!("{section}{sep}{}", self.field);
        }
        self
    }

    /// The dotted path of the field.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The file, when known.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The 1-based line, when known.
    pub fn line(&self) -> Option<usize> {
        self.position.map(|(line, _)| line)
    }

    /// The 1-based column, when known.
    pub fn column(&self) -> Option<usize> {
        self.position.map(|(_, column)| column)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}:", file.display())?;
        }
        if let Some((line, column)) = self.position {
            write!(f, "{line}:{column}:")?;
        }
        if self.file.is_some() || self.position.is_some() {
            f.write_str(" ")?;
        }
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_error_names_field_and_message() {
        let error = ConfigError::new("phone.default_region", "unknown region");
        assert_eq!(error.to_string(), "phone.default_region: unknown region");
    }

    #[test]
    fn within_builds_the_dotted_path() {
        let error = ConfigError::new("quota", "must not be zero").within("policies[0]");
        let error = error.within("rate_limits.per_ip");
        assert_eq!(error.field(), "rate_limits.per_ip.policies[0].quota");
        let error = ConfigError::new("[2]", "bad range").within("allow");
        assert_eq!(error.field(), "allow[2]");
    }

    #[test]
    fn line_and_column_count_characters() {
        let text = "a = 1\nbé = \"x\"\n";
        let offset = text.find('"').unwrap();
        assert_eq!(line_column(text, offset), (2, 6));
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 10_000), (3, 1));
    }
}

//! Errors of secret sources. None of them ever holds a secret value.

use std::fmt;

use serde::Serialize;

use super::SecretSource;

/// A source string that is not of the form `kind:location`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct SourceParseError {
    message: &'static str,
}

impl SourceParseError {
    pub(crate) fn new(message: &'static str) -> Self {
        Self { message }
    }
}

/// One source tried, and why it yielded nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    source: String,
    reason: String,
}

impl Attempt {
    pub(crate) fn new(source: &SecretSource, reason: String) -> Self {
        Self {
            source: source.to_string(),
            reason,
        }
    }

    /// The source, as written in configuration (`env:WIX_API_KEY`).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Why it yielded nothing (`not set`).
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// No source of a secret yielded a value.
///
/// It names the secret and each source tried, in order, with the reason it
/// failed; it never holds a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretError {
    name: String,
    attempts: Vec<Attempt>,
}

impl SecretError {
    pub(crate) fn new(name: &str, attempts: Vec<Attempt>) -> Self {
        Self {
            name: name.to_owned(),
            attempts,
        }
    }

    /// The name of the secret (`wix_api_key`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Each source tried, in order.
    pub fn attempts(&self) -> &[Attempt] {
        &self.attempts
    }
}

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "secret `{}` could not be loaded: ", self.name)?;
        if self.attempts.is_empty() {
            return f.write_str("no sources are configured");
        }
        for (i, attempt) in self.attempts.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", attempt.source, attempt.reason)?;
        }
        Ok(())
    }
}

impl std::error::Error for SecretError {}

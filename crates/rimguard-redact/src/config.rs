//! The `[redact]` section of `rimguard.toml`.
//!
//! ```toml
//! [redact]
//! headers = ["x-shop-token"]                # added to the default headers
//! query_params = ["voucher"]                # added to the default query parameters
//! json_fields = ["iban", "date_of_birth"]   # added to the default field names
//! fingerprint_key = "keyring:rimguard/redact_fingerprint_key"   # where the key is, never the key
//! card_mask = "issuer-and-last-four"        # or "last-four"
//! credentials = true                        # the detectors, all on by default
//! cards = true
//! phones = true
//! emails = true
//! ```
//!
//! The file never holds a secret: `fingerprint_key` names a source that the
//! application (the rimguard facade, through `rimguard-secrets`) loads and
//! hands to [`RedactorBuilder::fingerprint_key`], as it registers every
//! secret it loaded with [`RedactorBuilder::secret`].
//!
//! # Example
//!
//! ```
//! use rimguard_redact::config::RedactConfig;
//!
//! let config: RedactConfig = toml::from_str(r#"
//!     headers = ["x-shop-token"]
//!     fingerprint_key = "env:REDACT_FINGERPRINT_KEY"
//! "#).unwrap();
//!
//! assert_eq!(config.fingerprint_key_source(), Some("env:REDACT_FINGERPRINT_KEY"));
//! let redactor = config.builder().unwrap()
//!     .fingerprint_key_bytes(b"loaded from the environment....")
//!     .build()
//!     .unwrap();
//! assert!(redactor.is_sensitive_header(&http::HeaderName::from_static("x-shop-token")));
//! ```
//!
//! A mistake names its field:
//!
//! ```
//! use rimguard_redact::config::RedactConfig;
//!
//! let config: RedactConfig = toml::from_str(r#"headers = ["ok", "not ok"]"#).unwrap();
//! assert_eq!(config.builder().unwrap_err().field(), "redact.headers[1]");
//! assert!(toml::from_str::<RedactConfig>("header = []").is_err());
//! ```

use rimguard_core::ConfigError;
use serde::Deserialize;

use crate::{CardMask, Redactor, RedactorBuilder};

/// The `[redact]` section; see the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedactConfig {
    /// Header names added to the defaults.
    #[serde(default)]
    pub headers: Vec<String>,
    /// Query parameter names added to the defaults.
    #[serde(default)]
    pub query_params: Vec<String>,
    /// JSON and log field names added to the defaults.
    #[serde(default)]
    pub json_fields: Vec<String>,
    /// Where the fingerprint key comes from (`keyring:…`, `env:…`,
    /// `file:…`); no fingerprints when absent.
    #[serde(default)]
    pub fingerprint_key: Option<String>,
    /// How much of a card number stays visible.
    #[serde(default)]
    pub card_mask: CardMask,
    /// Detect credential shapes.
    #[serde(default = "on")]
    pub credentials: bool,
    /// Detect payment card numbers.
    #[serde(default = "on")]
    pub cards: bool,
    /// Detect phone numbers.
    #[serde(default = "on")]
    pub phones: bool,
    /// Detect e-mail addresses.
    #[serde(default = "on")]
    pub emails: bool,
}

fn on() -> bool {
    true
}

impl Default for RedactConfig {
    fn default() -> Self {
        Self {
            headers: Vec::new(),
            query_params: Vec::new(),
            json_fields: Vec::new(),
            fingerprint_key: None,
            card_mask: CardMask::default(),
            credentials: true,
            cards: true,
            phones: true,
            emails: true,
        }
    }
}

impl RedactConfig {
    /// The name of the fingerprint key's source, for the application to
    /// load.
    pub fn fingerprint_key_source(&self) -> Option<&str> {
        self.fingerprint_key.as_deref()
    }

    /// A builder holding this section's rules, to which the application adds
    /// its secrets and the fingerprint key before building.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] whose field is under `redact.`: an invalid header,
    /// query parameter or field name (`redact.headers[1]`), or a
    /// `fingerprint_key` that is not a source name.
    pub fn builder(&self) -> Result<RedactorBuilder, ConfigError> {
        if let Some(source) = &self.fingerprint_key {
            check_source(source).map_err(|e| e.within("redact"))?;
        }
        let mut builder = Redactor::builder()
            .card_mask(self.card_mask)
            .credentials(self.credentials)
            .cards(self.cards)
            .phones(self.phones)
            .emails(self.emails);
        for name in &self.headers {
            builder = builder.header(name.clone());
        }
        for name in &self.query_params {
            builder = builder.query_param(name.clone());
        }
        for name in &self.json_fields {
            builder = builder.json_field(name.clone());
        }
        builder.check_names().map_err(|e| e.within("redact"))?;
        Ok(builder)
    }
}

/// A source name is `scheme:rest`, the scheme lower-case letters.
fn check_source(source: &str) -> Result<(), ConfigError> {
    let valid = source.split_once(':').is_some_and(|(scheme, rest)| {
        !scheme.is_empty()
            && scheme.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
            && !rest.is_empty()
    });
    if valid {
        return Ok(());
    }
    let message = "must name where the key is, such as `keyring:rimguard/redact_key` or `env:REDACT_KEY`; the key itself never goes in the file";
    Err(ConfigError::new("fingerprint_key", message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_section_means_the_defaults() {
        let config: RedactConfig = toml::from_str("").unwrap();
        assert_eq!(config, RedactConfig::default());
        assert!(config.builder().unwrap().build().is_ok());
    }

    #[test]
    fn an_inline_key_is_refused() {
        let config: RedactConfig =
            toml::from_str(r#"fingerprint_key = "hunter2hunter2hunter2""#).unwrap();
        let error = config.builder().unwrap_err();
        assert_eq!(error.field(), "redact.fingerprint_key");
        assert!(!error.to_string().contains("hunter2"));
    }

    #[test]
    fn card_mask_is_spelled_in_kebab_case() {
        let config: RedactConfig = toml::from_str(r#"card_mask = "last-four""#).unwrap();
        assert_eq!(config.card_mask, CardMask::LastFour);
        assert!(toml::from_str::<RedactConfig>(r#"card_mask = "all""#).is_err());
    }

    #[test]
    fn bad_field_names_carry_the_section_path() {
        let config: RedactConfig = toml::from_str(r#"json_fields = ["a b"]"#).unwrap();
        assert_eq!(
            config.builder().unwrap_err().field(),
            "redact.json_fields[0]"
        );
    }
}

//! Serde configuration: `[secrets.<name>]`, `[api_keys.<name>]` and
//! `[webhooks.<name>]`.
//!
//! Configuration holds only the names of sources (see [`source`](crate::source)),
//! never a value. Each struct refuses unknown fields, and its `build`
//! method loads the secrets through a [`Resolver`] and returns a
//! [`ConfigError`] naming the dotted field on failure (with every source
//! tried and why it failed, never a value).
//!
//! ```toml
//! [secrets.wix_api_key]
//! sources = ["keyring:rimguard/wix_api_key", "env:WIX_API_KEY"]
//!
//! [api_keys.bot]
//! keys = ["keyring:rimguard/bot_key_primary", "keyring:rimguard/bot_key_secondary"]
//! scopes = ["read"]
//! rotate_after = "90d"              # the default
//! # header = "x-api-key"            # instead of Authorization: Bearer
//!
//! # a key may also be a table, with a chain of sources, an id and a creation date:
//! # keys = [{ sources = ["keyring:rimguard/bot_key", "env:BOT_KEY"], id = "bot-2026-12", created = "2026-12-01" }]
//!
//! [webhooks.whatsapp]
//! app_secret = ["keyring:rimguard/wa_app_secret", "keyring:rimguard/wa_app_secret_old"]
//! verify_token = "keyring:rimguard/wa_verify_token"
//! # max_body = 1048576
//!
//! [webhooks.shop]
//! provider = "hmac"
//! app_secret = ["env:SHOP_WEBHOOK_SECRET"]
//! header = "x-shop-hmac-sha256"
//! encoding = "base64"               # or "hex" (default)
//! algorithm = "hmac-sha256"         # or "hmac-sha512"
//! # prefix = "sha256="
//! ```
//!
//! # Example
//!
//! ```
//! use rimguard_secrets::config::ApiKeysConfig;
//! use rimguard_secrets::source::Resolver;
//!
//! let config: ApiKeysConfig = toml::from_str(r#"
//!     keys = ["env:BOT_KEY"]
//!     scopes = ["read"]
//! "#).unwrap();
//!
//! let resolver = Resolver::new().with_env(|_| None);
//! let error = config.build("bot", &resolver).unwrap_err();
//! assert_eq!(error.field(), "api_keys.bot.keys[0]");
//! assert_eq!(error.message(), "secret `bot` could not be loaded: env:BOT_KEY: not set");
//! ```

use std::num::NonZeroUsize;
use std::time::{Duration, SystemTime};

use http::HeaderName;
use rimguard_core::ConfigError;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::api_key::ApiKeyLayer;
use crate::key::{self, ApiKey, Scope, Scopes};
use crate::rotation::{ApiKeys, DEFAULT_ROTATE_AFTER, KeySlots};
use crate::secret::SecretBytes;
use crate::signature::{Algorithm, Encoding, SignatureScheme, SigningSecrets};
use crate::source::{LoadedSecret, Resolver, SecretSource};
use crate::webhook::WebhookSignatureLayer;

/// `[secrets.<name>]`: a secret loaded from the first source that has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretConfig {
    /// The sources, tried in order.
    pub sources: Vec<SecretSource>,
}

impl SecretConfig {
    /// Loads the secret `name`.
    ///
    /// # Errors
    ///
    /// When no source yields it: `secrets.<name>.sources`, with each source
    /// and its reason.
    pub fn load(&self, name: &str, resolver: &Resolver) -> Result<SecretString, ConfigError> {
        let loaded = load(resolver, name, &self.sources, "sources")
            .map_err(|e| e.within(&format!("secrets.{name}")))?;
        Ok(loaded.into_secret())
    }
}

/// One key of `[api_keys.<name>]`: a source, or a table with a chain of
/// sources, an id and a creation date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyConfig {
    /// `"keyring:rimguard/bot_key"`.
    Source(SecretSource),
    /// `{ sources = [...], id = "...", created = "2026-12-01" }`.
    Detailed(DetailedKeyConfig),
}

/// A key with its own chain of sources, id and creation date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetailedKeyConfig {
    /// The sources, tried in order.
    pub sources: Vec<SecretSource>,
    /// The public id (`<set>-<first 8 hex digits of the key's SHA-256>`
    /// unless set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// When the key was made: `2026-12-01` or an RFC 3339 time. Unless
    /// set: the file's modification time for `file:` sources, else the
    /// time it was loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
}

/// `[api_keys.<name>]`: the keys an [`ApiKeyLayer`] accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeysConfig {
    /// One or two keys: the primary, then the secondary.
    pub keys: Vec<KeyConfig>,
    /// What the keys may do (`["read"]`, `["read", "write"]`).
    pub scopes: Vec<Scope>,
    /// The rotation period, such as `"90d"` (the default).
    #[serde(
        default = "default_rotate_after",
        serialize_with = "serialize_duration",
        deserialize_with = "deserialize_duration"
    )]
    pub rotate_after: Duration,
    /// A header to read the key from instead of `Authorization: Bearer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
}

fn default_rotate_after() -> Duration {
    DEFAULT_ROTATE_AFTER
}

/// Writes a period in the largest whole unit: `90d`, `12h`, `30m`, `45s`.
fn serialize_duration<S: Serializer>(duration: &Duration, s: S) -> Result<S::Ok, S::Error> {
    let secs = duration.as_secs();
    let (count, unit) = [(86_400, "d"), (3_600, "h"), (60, "m")]
        .into_iter()
        .find(|(size, _)| secs > 0 && secs.is_multiple_of(*size))
        .map_or((secs, "s"), |(size, unit)| (secs / size, unit));
    s.collect_str(&format_args!("{count}{unit}"))
}

fn deserialize_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    match humantime::parse_duration(&text) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        Ok(_) => Err(serde::de::Error::custom(
            "the rotation period must be longer than zero",
        )),
        Err(_) => Err(serde::de::Error::custom(
            "expected a duration such as \"90d\"",
        )),
    }
}

impl ApiKeysConfig {
    /// Loads the keys of the set `name` into an [`ApiKeys`].
    ///
    /// # Errors
    ///
    /// `api_keys.<name>.keys` when there are none or more than two,
    /// `…scopes` when it is empty, `…keys[i]` when a key cannot be loaded
    /// or is not a valid key, `…keys[i].created` for a bad date.
    pub fn build_keys(&self, name: &str, resolver: &Resolver) -> Result<ApiKeys, ConfigError> {
        let slots = self.load_slots(name, resolver)?;
        Ok(ApiKeys::builder(slots)
            .name(name)
            .rotate_after(self.rotate_after)
            .build())
    }

    /// Loads the keys of the set `name` as a pair, for a reload: put it in
    /// force with [`ApiKeys::replace`], or keep the old pair when this
    /// fails.
    ///
    /// # Errors
    ///
    /// As [`build_keys`](Self::build_keys).
    pub fn load_slots(&self, name: &str, resolver: &Resolver) -> Result<KeySlots, ConfigError> {
        let within = format!("api_keys.{name}");
        if self.keys.is_empty() || self.keys.len() > 2 {
            let message = "expected one or two keys (the primary, then the secondary)";
            return Err(ConfigError::new("keys", message).within(&within));
        }
        if self.scopes.is_empty() {
            let message = "name at least one of \"read\" and \"write\"";
            return Err(ConfigError::new("scopes", message).within(&within));
        }
        let scopes: Scopes = self.scopes.iter().copied().collect();
        let mut keys = Vec::with_capacity(2);
        for (index, key) in self.keys.iter().enumerate() {
            let field = format!("keys[{index}]");
            let key =
                build_key(name, key, scopes, resolver, &field).map_err(|e| e.within(&within))?;
            keys.push(key);
        }

        let mut keys = keys.into_iter();
        let slots = KeySlots::new(keys.next().expect("one or two keys, checked above"));
        Ok(match keys.next() {
            Some(secondary) => slots.with_secondary(secondary),
            None => slots,
        })
    }

    /// Builds the [`ApiKeyLayer`] of the set `name`.
    ///
    /// # Errors
    ///
    /// As [`build_keys`](Self::build_keys), and `api_keys.<name>.header`
    /// for a bad header name.
    pub fn build(&self, name: &str, resolver: &Resolver) -> Result<ApiKeyLayer, ConfigError> {
        let header = match &self.header {
            Some(header) => Some(HeaderName::try_from(header.as_str()).map_err(|_| {
                ConfigError::new("header", "not a valid header name")
                    .within(&format!("api_keys.{name}"))
            })?),
            None => None,
        };
        let layer = ApiKeyLayer::new(self.build_keys(name, resolver)?);
        Ok(match header {
            Some(header) => layer.with_header(header),
            None => layer,
        })
    }
}

fn build_key(
    set: &str,
    key: &KeyConfig,
    scopes: Scopes,
    resolver: &Resolver,
    field: &str,
) -> Result<ApiKey, ConfigError> {
    let (sources, id, created) = match key {
        KeyConfig::Source(source) => (std::slice::from_ref(source), None, None),
        KeyConfig::Detailed(d) => (&d.sources[..], d.id.as_deref(), d.created.as_deref()),
    };
    let created = created
        .map(parse_created)
        .transpose()
        .map_err(|message| ConfigError::new("created", message).within(field))?;

    let loaded = load(resolver, set, sources, field)?;
    let value = loaded.secret();
    let id = match id {
        Some(id) => id.to_owned(),
        None => format!(
            "{set}-{}",
            key::fingerprint(value.expose_secret().as_bytes())
        ),
    };
    let created = created
        .or(loaded.modified())
        .unwrap_or_else(SystemTime::now);
    let key =
        ApiKey::new(id, value, created).map_err(|e| ConfigError::new(field, e.to_string()))?;
    Ok(key.with_scopes(scopes))
}

fn parse_created(text: &str) -> Result<SystemTime, &'static str> {
    let full;
    let text = if text.len() == 10 {
        full = format!("{text}T00:00:00Z");
        &full
    } else {
        text
    };
    humantime::parse_rfc3339_weak(text)
        .map_err(|_| "expected a date such as 2026-12-01 or an RFC 3339 time")
}

fn load(
    resolver: &Resolver,
    name: &str,
    sources: &[SecretSource],
    field: &str,
) -> Result<LoadedSecret, ConfigError> {
    resolver
        .load(name, sources)
        .map_err(|e| ConfigError::new(field, e.to_string()))
}

/// Which provider a webhook comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    /// The WhatsApp Cloud API: `X-Hub-Signature-256` and the subscription
    /// handshake.
    #[default]
    Whatsapp,
    /// Any provider that signs the body with an HMAC: set `header`, and
    /// `prefix`, `encoding`, `algorithm` as needed.
    Hmac,
}

/// `[webhooks.<name>]`: a webhook whose calls are signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// The provider (`whatsapp` unless set).
    #[serde(default)]
    pub provider: Provider,
    /// The signing secret: the current one, then optionally the previous.
    #[serde(alias = "secret")]
    pub app_secret: Vec<SecretSource>,
    /// The handshake's verify token (WhatsApp only, and required there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_token: Option<SecretSource>,
    /// The body size bound in bytes (1 MiB unless set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_body: Option<NonZeroUsize>,
    /// The signature header (`hmac` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// The text before the signature, such as `sha256=` (`hmac` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// `hex` (default) or `base64` (`hmac` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<Encoding>,
    /// `hmac-sha256` (default) or `hmac-sha512` (`hmac` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<Algorithm>,
}

impl WebhookConfig {
    /// Loads the secrets and builds the layer of the webhook `name`.
    ///
    /// # Errors
    ///
    /// `webhooks.<name>.app_secret` when it has no entry or more than two,
    /// `…app_secret[i]` / `…verify_token` when a secret cannot be loaded,
    /// and the field of an option that does not fit the provider.
    pub fn build(
        &self,
        name: &str,
        resolver: &Resolver,
    ) -> Result<WebhookSignatureLayer, ConfigError> {
        let within = format!("webhooks.{name}");
        self.build_inner(name, resolver)
            .map_err(|e| e.within(&within))
    }

    fn build_inner(
        &self,
        name: &str,
        resolver: &Resolver,
    ) -> Result<WebhookSignatureLayer, ConfigError> {
        if self.app_secret.is_empty() || self.app_secret.len() > 2 {
            let message = "expected one or two secrets (the current, then the previous)";
            return Err(ConfigError::new("app_secret", message));
        }
        let secrets = self.signing_secrets(name, resolver)?;
        let layer = match self.provider {
            Provider::Whatsapp => {
                self.refuse_hmac_options()?;
                let source = self.verify_token.as_ref().ok_or_else(|| {
                    ConfigError::new("verify_token", "a WhatsApp webhook needs a verify token")
                })?;
                let token = load(
                    resolver,
                    &format!("{name}.verify_token"),
                    std::slice::from_ref(source),
                    "verify_token",
                )?;
                WebhookSignatureLayer::whatsapp(secrets, token.into_secret())
            }
            Provider::Hmac => {
                if self.verify_token.is_some() {
                    return Err(ConfigError::new(
                        "verify_token",
                        "only WhatsApp webhooks have a verify token",
                    ));
                }
                WebhookSignatureLayer::new(self.scheme()?, secrets)
            }
        };
        Ok(match self.max_body {
            Some(max_body) => layer.with_max_body(max_body),
            None => layer,
        })
    }

    fn signing_secrets(
        &self,
        name: &str,
        resolver: &Resolver,
    ) -> Result<SigningSecrets, ConfigError> {
        let mut loaded = Vec::with_capacity(2);
        for (index, source) in self.app_secret.iter().enumerate() {
            let field = format!("app_secret[{index}]");
            let secret = load(
                resolver,
                &format!("{name}.app_secret"),
                std::slice::from_ref(source),
                &field,
            )?;
            loaded.push(SecretBytes::from(
                secret.secret().expose_secret().as_bytes().to_vec(),
            ));
        }
        let mut loaded = loaded.into_iter();
        let secrets =
            SigningSecrets::new(loaded.next().expect("one or two secrets, checked above"));
        Ok(match loaded.next() {
            Some(previous) => secrets.with_previous(previous),
            None => secrets,
        })
    }

    fn refuse_hmac_options(&self) -> Result<(), ConfigError> {
        let set = [
            ("header", self.header.is_some()),
            ("prefix", self.prefix.is_some()),
            ("encoding", self.encoding.is_some()),
            ("algorithm", self.algorithm.is_some()),
        ];
        match set.iter().find(|(_, present)| *present) {
            Some((field, _)) => Err(ConfigError::new(
                *field,
                "only for provider = \"hmac\"; WhatsApp's scheme is fixed",
            )),
            None => Ok(()),
        }
    }

    fn scheme(&self) -> Result<SignatureScheme, ConfigError> {
        let header = self
            .header
            .as_deref()
            .ok_or_else(|| ConfigError::new("header", "an hmac webhook needs a header"))?;
        let header = HeaderName::try_from(header)
            .map_err(|_| ConfigError::new("header", "not a valid header name"))?;
        let mut scheme = SignatureScheme::new(header);
        if let Some(prefix) = &self.prefix {
            scheme = scheme.with_prefix(prefix.clone());
        }
        if let Some(encoding) = self.encoding {
            scheme = scheme.with_encoding(encoding);
        }
        if let Some(algorithm) = self.algorithm {
            scheme = scheme.with_algorithm(algorithm);
        }
        Ok(scheme)
    }
}

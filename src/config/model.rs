//! The whole `rimguard.toml` and how it is loaded.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rimguard_core::ConfigError;
use serde::Deserialize;

use super::gateway::GatewayConfig;
use super::routes::RouteConfig;
use super::source::{self, Locator};

type Named<T> = std::collections::BTreeMap<String, T>;
#[cfg(feature = "secrets")]
use rimguard_secrets::config::{ApiKeysConfig, SecretConfig, WebhookConfig};
#[cfg(not(feature = "secrets"))]
type ApiKeysConfig = serde::de::IgnoredAny;
#[cfg(not(feature = "secrets"))]
type SecretConfig = serde::de::IgnoredAny;
#[cfg(not(feature = "secrets"))]
type WebhookConfig = serde::de::IgnoredAny;

#[cfg(feature = "ipfilter")]
type IpListSection = rimguard_ipfilter::IpListConfig;
#[cfg(not(feature = "ipfilter"))]
type IpListSection = serde::de::IgnoredAny;
#[cfg(feature = "phone")]
type PhoneSection = rimguard_phone::PhoneConfig;
#[cfg(not(feature = "phone"))]
type PhoneSection = serde::de::IgnoredAny;
#[cfg(feature = "ratelimit")]
type RateLimitSection = rimguard_ratelimit::RateLimitConfig;
#[cfg(not(feature = "ratelimit"))]
type RateLimitSection = serde::de::IgnoredAny;
#[cfg(feature = "audit")]
type AuditSection = rimguard_audit::AuditConfig;
#[cfg(not(feature = "audit"))]
type AuditSection = serde::de::IgnoredAny;
#[cfg(feature = "redact")]
type RedactSection = rimguard_redact::config::RedactConfig;
#[cfg(not(feature = "redact"))]
type RedactSection = serde::de::IgnoredAny;

#[cfg(not(feature = "headers"))]
type HttpsSection = serde::de::IgnoredAny;
#[cfg(feature = "headers")]
type HttpsSection = crate::https::HttpsConfig;
#[cfg(not(feature = "headers"))]
type HeadersSection = serde::de::IgnoredAny;
#[cfg(feature = "headers")]
type HeadersSection = crate::headers::HeadersConfig;
#[cfg(not(feature = "cors"))]
type CorsSection = serde::de::IgnoredAny;
#[cfg(feature = "cors")]
type CorsSection = crate::cors::CorsConfig;

/// The whole configuration: one section per layer, the named routes and the
/// gateway.
///
/// A section whose cargo feature is off still parses (so one file serves
/// several builds) but is refused by [`Config::loader`] with a message that
/// names the missing feature. See the [module docs](super) and
/// `docs/configuration.md` for every key.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Config {
    /// `[client_ip]`: how the caller's address is found (default: the
    /// socket peer only).
    #[serde(default)]
    pub client_ip: Option<rimguard_core::client_ip::ClientIpConfig>,
    /// `[audit]`: audit records, the hash-chained file, detection rules and
    /// alerts (feature `audit`).
    #[serde(default)]
    pub audit: Option<AuditSection>,
    /// `[redact]`: what log output never shows (feature `redact`).
    #[serde(default)]
    pub redact: Option<RedactSection>,
    /// `[https]`: HTTPS-only enforcement and HSTS (feature `headers`).
    #[serde(default)]
    pub https: Option<HttpsSection>,
    /// `[headers]`: security response headers (feature `headers`).
    #[serde(default)]
    pub headers: Option<HeadersSection>,
    /// `[cors]`: cross-origin resource sharing (feature `cors`).
    #[serde(default)]
    pub cors: Option<CorsSection>,
    /// `[ip_lists.<name>]`: allow and deny lists that routes apply (feature
    /// `ipfilter`).
    #[serde(default)]
    pub ip_lists: Named<IpListSection>,
    /// `[phone.<name>]`: where a route finds the caller's phone number and
    /// how it is validated (feature `phone`).
    #[serde(default)]
    pub phone: Named<PhoneSection>,
    /// `[rate_limits.<name>]`: rate limits that routes apply (feature
    /// `ratelimit`).
    #[serde(default)]
    pub rate_limits: Named<RateLimitSection>,
    /// `[secrets.<name>]`: secrets the application loads, by source
    /// (feature `secrets`).
    #[serde(default)]
    pub secrets: Named<SecretConfig>,
    /// `[api_keys.<name>]`: key sets that routes authenticate with
    /// (feature `secrets`).
    #[serde(default)]
    pub api_keys: Named<ApiKeysConfig>,
    /// `[webhooks.<name>]`: signed webhooks that routes verify (feature
    /// `secrets`).
    #[serde(default)]
    pub webhooks: Named<WebhookConfig>,
    /// `[[routes]]`: named path patterns and the policies they apply.
    #[serde(default)]
    pub routes: Vec<RouteConfig>,
    /// `[gateway]`: the `rimguard serve` reverse proxy.
    #[serde(default)]
    pub gateway: Option<GatewayConfig>,
    #[serde(skip)]
    locator: Arc<Locator>,
}

impl Config {
    /// Starts loading a configuration.
    pub fn loader() -> Loader {
        Loader::default()
    }

    /// Adds the file, line and column (or environment variable) of the
    /// field `error` names, for errors found after loading, such as a layer
    /// refusing a value when the stack is built.
    pub fn locate(&self, error: ConfigError) -> ConfigError {
        self.locator.locate(error)
    }

    /// Loads the secret `[secrets.<name>]` through `resolver`.
    ///
    /// # Errors
    ///
    /// No such section, or no source yields the secret (every source tried
    /// is named, never a value).
    #[cfg(feature = "secrets")]
    pub fn secret(
        &self,
        name: &str,
        resolver: &rimguard_secrets::Resolver,
    ) -> Result<rimguard_secrets::secret::SecretString, ConfigError> {
        let section = self.secrets.get(name).ok_or_else(|| {
            ConfigError::new(
                format!("secrets.{name}"),
                "no such section in the configuration",
            )
        })?;
        section
            .load(name, resolver)
            .map_err(|e| self.locate(e.within(&format!("secrets.{name}"))))
    }

    /// The folder that relative paths in the file (list files) are read
    /// from: the configuration file's own folder.
    pub fn base_dir(&self) -> Option<&Path> {
        self.locator.file().and_then(Path::parent)
    }

    fn check_features(&self) -> Result<(), ConfigError> {
        let needs = |on: bool, present: bool, section: &str, feature: &str| {
            if present && !on {
                let message = format!("this build of rimguard lacks the `{feature}` feature");
                return Err(ConfigError::new(section, message));
            }
            Ok(())
        };
        needs(
            cfg!(feature = "headers"),
            self.https.is_some(),
            "https",
            "headers",
        )?;
        needs(
            cfg!(feature = "headers"),
            self.headers.is_some(),
            "headers",
            "headers",
        )?;
        needs(cfg!(feature = "cors"), self.cors.is_some(), "cors", "cors")?;
        needs(
            cfg!(feature = "audit"),
            self.audit.is_some(),
            "audit",
            "audit",
        )?;
        needs(
            cfg!(feature = "redact"),
            self.redact.is_some(),
            "redact",
            "redact",
        )?;
        needs(
            cfg!(feature = "ipfilter"),
            !self.ip_lists.is_empty(),
            "ip_lists",
            "ipfilter",
        )?;
        needs(
            cfg!(feature = "phone"),
            !self.phone.is_empty(),
            "phone",
            "phone",
        )?;
        let limits = cfg!(feature = "ratelimit");
        needs(
            limits,
            !self.rate_limits.is_empty(),
            "rate_limits",
            "ratelimit",
        )?;
        let secrets = cfg!(feature = "secrets");
        needs(secrets, !self.secrets.is_empty(), "secrets", "secrets")?;
        needs(secrets, !self.api_keys.is_empty(), "api_keys", "secrets")?;
        needs(secrets, !self.webhooks.is_empty(), "webhooks", "secrets")?;
        Ok(())
    }

    fn check_routes(&self) -> Result<(), ConfigError> {
        for (i, route) in self.routes.iter().enumerate() {
            let within = |e: ConfigError| e.within(&format!("routes[{i}]"));
            route.check().map_err(within)?;
            let first = self.routes.iter().position(|r| r.name == route.name);
            if first != Some(i) {
                return Err(within(ConfigError::new(
                    "name",
                    "is used by an earlier route",
                )));
            }
        }
        Ok(())
    }
}

/// Loads a [`Config`] from a file or text, with environment overrides.
///
/// By default the process environment supplies the `RIMGUARD__…`
/// overrides; [`env_vars`](Self::env_vars) replaces it (tests use it).
#[derive(Debug, Default)]
pub struct Loader {
    file: Option<PathBuf>,
    text: Option<String>,
    env: Option<Vec<(String, String)>>,
}

impl Loader {
    /// Reads the configuration from `path`.
    pub fn file(mut self, path: impl AsRef<Path>) -> Self {
        self.file = Some(path.as_ref().to_path_buf());
        self.text = None;
        self
    }

    /// Reads the configuration from `text`, reported in errors as `name`.
    pub fn text(mut self, name: impl AsRef<Path>, text: impl Into<String>) -> Self {
        self.file = Some(name.as_ref().to_path_buf());
        self.text = Some(text.into());
        self
    }

    /// Uses these variables instead of the process environment.
    pub fn env_vars(mut self, vars: impl IntoIterator<Item = (String, String)>) -> Self {
        self.env = Some(vars.into_iter().collect());
        self
    }

    /// Reads, overrides, deserializes and checks the configuration.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the file, line, column and dotted field (or
    /// the environment variable) of the first mistake: a file that cannot
    /// be read, invalid TOML, an unknown key, a value of the wrong type or
    /// out of range, a section whose feature is off, a bad route.
    pub fn load(self) -> Result<Config, ConfigError> {
        let text = match (&self.text, &self.file) {
            (Some(text), _) => text.clone(),
            (None, Some(file)) => std::fs::read_to_string(file).map_err(|e| {
                ConfigError::new("", format!("cannot read the file: {e}")).in_file(file)
            })?,
            (None, None) => String::new(),
        };
        let env = self.env.unwrap_or_else(|| std::env::vars().collect());

        let (mut config, locator) =
            source::deserialize::<Config>(&text, self.file.as_deref(), env)?;
        config.locator = locator;
        config.check_features().map_err(|e| config.locate(e))?;
        config.check_routes().map_err(|e| config.locate(e))?;
        Ok(config)
    }
}

//! The `[https]` section.

use std::time::Duration;

use http::HeaderValue;
use http::uri::Authority;
use rimguard_core::ConfigError;
use serde::Deserialize;

use super::HttpsOnlyLayer;
use crate::config::duration;

/// What to do with a request that did not arrive over HTTPS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HttpsMode {
    /// Answer `403` with a problem+json body (the default; right for APIs,
    /// whose clients should fail loudly rather than follow a redirect).
    #[default]
    Refuse,
    /// Redirect `GET` and `HEAD` to `https://<redirect_host>`; refuse the rest.
    Redirect,
    /// Let plain HTTP through (for local development); HSTS is still sent
    /// over HTTPS.
    Off,
}

/// The `[https]` section: HTTPS-only enforcement and HSTS.
///
/// ```toml
/// [https]
/// mode = "redirect"
/// redirect_host = "api.rimtyres.example"
/// trust_forwarded_proto = true
/// hsts = { max_age = "365d", include_subdomains = true, preload = false }
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpsConfig {
    /// `refuse` (default), `redirect` or `off`.
    #[serde(default)]
    pub mode: HttpsMode,
    /// The host (and optional port) redirects point to; required with
    /// `mode = "redirect"`.
    #[serde(default)]
    pub redirect_host: Option<String>,
    /// Whether a trusted proxy's `X-Forwarded-Proto` / `Forwarded: proto=`
    /// counts (default `true`). It only ever counts from a trusted peer.
    #[serde(default = "yes")]
    pub trust_forwarded_proto: bool,
    /// `Strict-Transport-Security` on HTTPS responses.
    #[serde(default)]
    pub hsts: HstsConfig,
}

impl Default for HttpsConfig {
    fn default() -> Self {
        Self {
            mode: HttpsMode::default(),
            redirect_host: None,
            trust_forwarded_proto: true,
            hsts: HstsConfig::default(),
        }
    }
}

/// The `hsts` table of `[https]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HstsConfig {
    /// Whether to send the header at all (default `true`).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// `max-age`, as a duration such as `"365d"` (the default).
    #[serde(default = "one_year", with = "duration")]
    pub max_age: Duration,
    /// `includeSubDomains` (default `true`).
    #[serde(default = "yes")]
    pub include_subdomains: bool,
    /// `preload` (default `false`); needs a `max_age` of a year or more and
    /// `include_subdomains`, as the preload list requires.
    #[serde(default)]
    pub preload: bool,
}

impl Default for HstsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            max_age: one_year(),
            include_subdomains: true,
            preload: false,
        }
    }
}

fn yes() -> bool {
    true
}

fn one_year() -> Duration {
    Duration::from_secs(365 * 24 * 3600)
}

impl HstsConfig {
    /// The header value, or `None` when disabled.
    ///
    /// # Errors
    ///
    /// Refuses `preload` without `include_subdomains` or with a `max_age`
    /// under a year.
    pub fn header_value(&self) -> Result<Option<HeaderValue>, ConfigError> {
        if !self.enabled {
            return Ok(None);
        }
        if self.preload && !(self.include_subdomains && self.max_age >= one_year()) {
            return Err(ConfigError::new(
                "preload",
                "needs include_subdomains = true and a max_age of at least 365d",
            ));
        }

        let mut value = format!("max-age={}", self.max_age.as_secs());
        if self.include_subdomains {
            value.push_str("; includeSubDomains");
        }
        if self.preload {
            value.push_str("; preload");
        }
        let value =
            HeaderValue::try_from(value).expect("digits and ASCII words make a header value");
        Ok(Some(value))
    }
}

impl HttpsConfig {
    /// The layer this section describes.
    ///
    /// # Errors
    ///
    /// Refuses a redirect mode without a valid `redirect_host`, and HSTS
    /// settings that [`HstsConfig::header_value`] refuses; fields are named
    /// relative to this section.
    pub fn to_layer(&self) -> Result<HttpsOnlyLayer, ConfigError> {
        let mut layer = match self.mode {
            HttpsMode::Refuse => HttpsOnlyLayer::refuse(),
            HttpsMode::Off => HttpsOnlyLayer::allow_plain_http(),
            HttpsMode::Redirect => {
                let host = self.redirect_host.as_deref().ok_or_else(|| {
                    ConfigError::new("redirect_host", "is required with mode = \"redirect\"")
                })?;
                let authority: Authority = host.parse().map_err(|_| {
                    ConfigError::new("redirect_host", "is not a host name with an optional port")
                })?;
                HttpsOnlyLayer::redirect_to(authority)
            }
        };

        let hsts = self.hsts.header_value().map_err(|e| e.within("hsts"))?;
        layer = layer
            .hsts(hsts)
            .trust_forwarded_proto(self.trust_forwarded_proto);
        Ok(layer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_hsts_is_a_year_with_subdomains() {
        let value = HstsConfig::default().header_value().unwrap().unwrap();
        assert_eq!(value, "max-age=31536000; includeSubDomains");
    }

    #[test]
    fn preload_without_subdomains_is_refused() {
        let hsts = HstsConfig {
            preload: true,
            include_subdomains: false,
            ..HstsConfig::default()
        };
        let error = hsts.header_value().unwrap_err();
        assert_eq!(error.field(), "preload");
    }

    #[test]
    fn redirect_needs_a_host() {
        let config = HttpsConfig {
            mode: HttpsMode::Redirect,
            ..HttpsConfig::default()
        };
        let error = config.to_layer().unwrap_err();
        assert_eq!(error.field(), "redirect_host");

        let config = HttpsConfig {
            mode: HttpsMode::Redirect,
            redirect_host: Some("bad host/".into()),
            ..HttpsConfig::default()
        };
        assert_eq!(config.to_layer().unwrap_err().field(), "redirect_host");
    }
}

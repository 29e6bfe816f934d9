//! CORS from the configuration file, through tower-http's `CorsLayer`.
//!
//! [`CorsConfig`] is the `[cors]` section. [`CorsConfig::to_layer`] turns it
//! into a [`CorsLayer`] and refuses, at start-up, what browsers would
//! refuse later or what would open the API to every site: credentials
//! together with any wildcard (`*` in origins, methods, headers or exposed
//! headers), a wildcard mixed with a list, the `null` origin, and origins
//! that are not a bare `scheme://host[:port]`.
//!
//! # Example
//!
//! ```
//! use rimguard::cors::CorsConfig;
//!
//! let config: CorsConfig = toml::from_str(r#"
//!     allow_origins = ["https://shop.rimtyres.example"]
//!     allow_methods = ["GET", "POST"]
//!     allow_headers = ["content-type", "authorization"]
//!     allow_credentials = true
//! "#)?;
//! let layer = config.to_layer()?;
//!
//! let open: CorsConfig = toml::from_str("allow_origins = [\"*\"]\nallow_credentials = true")?;
//! assert_eq!(open.to_layer().unwrap_err().field(), "allow_credentials");
//! # let _ = layer;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::Duration;

use http::{HeaderName, HeaderValue, Method};
use rimguard_core::ConfigError;
use serde::Deserialize;
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, Any, CorsLayer, ExposeHeaders};

use crate::config::duration;

/// The `[cors]` section.
///
/// ```toml
/// [cors]
/// allow_origins = ["https://shop.rimtyres.example"]
/// allow_methods = ["GET", "POST"]
/// allow_headers = ["content-type", "authorization"]
/// expose_headers = ["ratelimit", "ratelimit-policy", "retry-after"]
/// allow_credentials = false
/// max_age = "10m"
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsConfig {
    /// Allowed origins, each `scheme://host[:port]`, or `["*"]` for any
    /// (without credentials only). Empty (the default) allows none.
    #[serde(default)]
    pub allow_origins: Vec<String>,
    /// Allowed methods, or `["*"]`.
    #[serde(default)]
    pub allow_methods: Vec<String>,
    /// Allowed request headers, or `["*"]`.
    #[serde(default)]
    pub allow_headers: Vec<String>,
    /// Response headers the browser may expose, or `["*"]`.
    #[serde(default)]
    pub expose_headers: Vec<String>,
    /// `Access-Control-Allow-Credentials` (default `false`).
    #[serde(default)]
    pub allow_credentials: bool,
    /// How long a preflight answer may be cached.
    #[serde(default, with = "duration::option")]
    pub max_age: Option<Duration>,
}

enum List<T> {
    Any,
    These(Vec<T>),
}

impl CorsConfig {
    /// The tower-http layer this section describes.
    ///
    /// # Errors
    ///
    /// Refuses credentials with any wildcard (field `allow_credentials`), a
    /// wildcard mixed with other entries, the `null` origin, an origin with
    /// a path, and entries that are not valid methods or header names; the
    /// field names the entry, such as `allow_origins[1]`.
    pub fn to_layer(&self) -> Result<CorsLayer, ConfigError> {
        let origins = list("allow_origins", &self.allow_origins, origin)?;
        let methods = list("allow_methods", &self.allow_methods, method)?;
        let headers = list("allow_headers", &self.allow_headers, header_name)?;
        let exposed = list("expose_headers", &self.expose_headers, header_name)?;

        let wildcard = [
            matches!(origins, List::Any),
            matches!(methods, List::Any),
            matches!(headers, List::Any),
            matches!(exposed, List::Any),
        ];
        if self.allow_credentials && wildcard.contains(&true) {
            let message = "credentials cannot be allowed together with a `*` wildcard";
            return Err(ConfigError::new("allow_credentials", message));
        }

        let mut layer = CorsLayer::new()
            .allow_origin(match origins {
                List::Any => AllowOrigin::from(Any),
                List::These(list) => AllowOrigin::list(list),
            })
            .allow_methods(match methods {
                List::Any => AllowMethods::from(Any),
                List::These(list) => AllowMethods::list(list),
            })
            .allow_headers(match headers {
                List::Any => AllowHeaders::from(Any),
                List::These(list) => AllowHeaders::list(list),
            })
            .expose_headers(match exposed {
                List::Any => ExposeHeaders::from(Any),
                List::These(list) => ExposeHeaders::list(list),
            })
            .allow_credentials(self.allow_credentials);
        if let Some(max_age) = self.max_age {
            layer = layer.max_age(max_age);
        }
        Ok(layer)
    }
}

fn list<T>(
    field: &str,
    entries: &[String],
    parse: fn(&str) -> Result<T, &'static str>,
) -> Result<List<T>, ConfigError> {
    if entries.iter().any(|e| e == "*") {
        if entries.len() > 1 {
            return Err(ConfigError::new(
                field,
                "`*` cannot be mixed with other entries",
            ));
        }
        return Ok(List::Any);
    }
    entries
        .iter()
        .enumerate()
        .map(|(i, entry)| parse(entry).map_err(|m| ConfigError::new(format!("{field}[{i}]"), m)))
        .collect::<Result<_, _>>()
        .map(List::These)
}

fn origin(text: &str) -> Result<HeaderValue, &'static str> {
    if text.eq_ignore_ascii_case("null") {
        return Err("the `null` origin can be sent by any sandboxed page; it is never allowed");
    }
    let uri: http::Uri = text.parse().map_err(|_| "is not an origin")?;
    let bare = uri.scheme().is_some()
        && uri.authority().is_some()
        && uri
            .path_and_query()
            .is_none_or(|p| p.as_str().is_empty() || p.as_str() == "/")
        && !text.ends_with('/');
    if !bare {
        return Err("an origin is `scheme://host[:port]`, with no path");
    }
    HeaderValue::from_str(text).map_err(|_| "is not an origin")
}

fn method(text: &str) -> Result<Method, &'static str> {
    Method::from_bytes(text.as_bytes()).map_err(|_| "is not an HTTP method")
}

fn header_name(text: &str) -> Result<HeaderName, &'static str> {
    HeaderName::try_from(text).map_err(|_| "is not a header name")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(origins: &[&str], credentials: bool) -> CorsConfig {
        CorsConfig {
            allow_origins: origins.iter().map(|s| s.to_string()).collect(),
            allow_credentials: credentials,
            ..CorsConfig::default()
        }
    }

    #[test]
    fn credentials_with_any_wildcard_are_refused() {
        assert_eq!(
            config(&["*"], true).to_layer().unwrap_err().field(),
            "allow_credentials"
        );

        let mut headers = config(&["https://a.example"], true);
        headers.allow_headers = vec!["*".into()];
        assert_eq!(headers.to_layer().unwrap_err().field(), "allow_credentials");

        let mut exposed = config(&["https://a.example"], true);
        exposed.expose_headers = vec!["*".into()];
        assert!(exposed.to_layer().is_err());
    }

    #[test]
    fn a_wildcard_without_credentials_is_allowed() {
        assert!(config(&["*"], false).to_layer().is_ok());
    }

    #[test]
    fn origins_must_be_bare_and_never_null() {
        let error = config(&["https://a.example", "null"], false)
            .to_layer()
            .unwrap_err();
        assert_eq!(error.field(), "allow_origins[1]");
        assert!(
            config(&["https://a.example/path"], false)
                .to_layer()
                .is_err()
        );
        assert!(config(&["a.example"], false).to_layer().is_err());
        assert!(
            config(&["*", "https://a.example"], false)
                .to_layer()
                .is_err()
        );
        assert!(config(&["https://a.example:8443"], true).to_layer().is_ok());
    }
}

//! The `[headers]` section.

use http::{HeaderName, HeaderValue};
use rimguard_core::ConfigError;
use serde::Deserialize;

use super::SecurityHeadersLayer;
use super::layer::defaults;

/// The `[headers]` section: security response headers.
///
/// Every key is optional and defaults to the value in the
/// [module docs](super); an empty string turns that header off.
///
/// ```toml
/// [headers]
/// content_security_policy = "default-src 'none'; frame-ancestors 'none'"
/// cache_control = ""                       # let the service decide
/// remove = ["server", "x-powered-by", "x-aspnet-version"]
/// extra = { "x-robots-tag" = "noindex" }
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadersConfig {
    /// `X-Content-Type-Options`.
    #[serde(default)]
    pub content_type_options: Option<String>,
    /// `X-Frame-Options`.
    #[serde(default)]
    pub frame_options: Option<String>,
    /// `Content-Security-Policy`.
    #[serde(default)]
    pub content_security_policy: Option<String>,
    /// `Referrer-Policy`.
    #[serde(default)]
    pub referrer_policy: Option<String>,
    /// `Permissions-Policy`.
    #[serde(default)]
    pub permissions_policy: Option<String>,
    /// `Cross-Origin-Opener-Policy`.
    #[serde(default)]
    pub cross_origin_opener_policy: Option<String>,
    /// `Cross-Origin-Resource-Policy`.
    #[serde(default)]
    pub cross_origin_resource_policy: Option<String>,
    /// `Cross-Origin-Embedder-Policy`.
    #[serde(default)]
    pub cross_origin_embedder_policy: Option<String>,
    /// `Cache-Control`, set when the service sent none.
    #[serde(default)]
    pub cache_control: Option<String>,
    /// Response headers to remove (default `["server", "x-powered-by"]`).
    #[serde(default)]
    pub remove: Option<Vec<String>>,
    /// More headers to add, by name.
    #[serde(default)]
    pub extra: std::collections::BTreeMap<String, String>,
}

impl HeadersConfig {
    /// The layer this section describes.
    ///
    /// # Errors
    ///
    /// Names the field whose value is not a valid header value, or the
    /// `remove` or `extra` entry that is not a valid header name.
    pub fn to_layer(&self) -> Result<SecurityHeadersLayer, ConfigError> {
        let configured = [
            ("content_type_options", &self.content_type_options),
            ("frame_options", &self.frame_options),
            ("content_security_policy", &self.content_security_policy),
            ("referrer_policy", &self.referrer_policy),
            ("permissions_policy", &self.permissions_policy),
            (
                "cross_origin_opener_policy",
                &self.cross_origin_opener_policy,
            ),
            (
                "cross_origin_resource_policy",
                &self.cross_origin_resource_policy,
            ),
            (
                "cross_origin_embedder_policy",
                &self.cross_origin_embedder_policy,
            ),
            ("cache_control", &self.cache_control),
        ];

        let mut set = Vec::new();
        for ((field, value), (name, default)) in configured.iter().zip(defaults()) {
            match value.as_deref() {
                None => set.push((name, HeaderValue::from_static(default))),
                Some("") => {}
                Some(text) => set.push((name, header_value(field, text)?)),
            }
        }
        for (name, value) in &self.extra {
            let field = format!("extra.{name}");
            let header = HeaderName::try_from(name.as_str())
                .map_err(|_| ConfigError::new(field.clone(), "is not a header name"))?;
            set.push((header, header_value(&field, value)?));
        }

        let remove = match &self.remove {
            None => vec![
                http::header::SERVER,
                HeaderName::from_static("x-powered-by"),
            ],
            Some(names) => names
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    HeaderName::try_from(name.as_str()).map_err(|_| {
                        ConfigError::new(format!("remove[{i}]"), "is not a header name")
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        Ok(SecurityHeadersLayer::new(set, remove))
    }
}

fn header_value(field: &str, text: &str) -> Result<HeaderValue, ConfigError> {
    HeaderValue::from_str(text).map_err(|_| ConfigError::new(field, "is not a valid header value"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_value_turns_a_header_off() {
        let config = HeadersConfig {
            cache_control: Some(String::new()),
            ..HeadersConfig::default()
        };
        let layer = config.to_layer().unwrap();
        assert!(
            layer
                .headers()
                .iter()
                .all(|(name, _)| name != http::header::CACHE_CONTROL)
        );
        assert_eq!(layer.headers().len(), 8);
    }

    #[test]
    fn a_bad_value_names_its_field() {
        let config = HeadersConfig {
            referrer_policy: Some("a\nb".into()),
            ..HeadersConfig::default()
        };
        assert_eq!(config.to_layer().unwrap_err().field(), "referrer_policy");

        let mut extra = std::collections::BTreeMap::new();
        extra.insert("bad name".to_owned(), "x".to_owned());
        let config = HeadersConfig {
            extra,
            ..HeadersConfig::default()
        };
        assert_eq!(config.to_layer().unwrap_err().field(), "extra.bad name");
    }
}

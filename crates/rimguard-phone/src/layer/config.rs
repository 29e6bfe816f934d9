//! The `[phone]` section of the rimguard configuration.

use rimguard_core::ConfigError;
use serde::Deserialize;

use super::builder::PhoneLayer;
use super::policy::{PhonePolicy, PhoneSource, Validity};
use crate::{NumberType, Region, Strictness};

/// The default bound on a buffered JSON body: 64 KiB.
const DEFAULT_MAX_BODY: usize = 64 * 1024;

/// The `[phone]` configuration.
///
/// ```toml
/// [phone]
/// default_region = "GB"
/// policy = "valid"                  # or "possible"
/// regions = ["GB", "IE"]            # default: any
/// types = ["mobile", "fixed-line-or-mobile"]   # default: any
/// source = { json = "/customer/phone", max_body = 65536 }
/// # or source = { header = "x-phone" } / { query = "phone" } / { path_segment = 1 }
/// strict = true                     # default
/// whatsapp = false                  # the value is a wa_id
/// required = true                   # default
/// ```
///
/// # Example
///
/// ```
/// use rimguard_phone::PhoneConfig;
///
/// let config: PhoneConfig = toml::from_str(r#"
///     default_region = "GB"
///     policy = "valid"
///     regions = ["GB"]
///     source = { header = "x-phone" }
/// "#).unwrap();
/// let layer = config.into_layer().unwrap();
/// # let _ = layer;
///
/// let bad: PhoneConfig = toml::from_str(r#"
///     default_region = "UK"
///     source = { header = "x-phone" }
/// "#).unwrap();
/// assert_eq!(bad.into_layer().unwrap_err().field(), "phone.default_region");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneConfig {
    /// The region of numbers written without `+`, such as `"GB"`.
    #[serde(default)]
    pub default_region: Option<String>,
    /// `"valid"` (default) or `"possible"`.
    #[serde(default)]
    pub policy: Validity,
    /// Allowed regions; empty allows any.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Allowed number types; empty allows any.
    #[serde(default)]
    pub types: Vec<NumberType>,
    /// Where the number is.
    pub source: SourceConfig,
    /// Strict parsing (default `true`).
    #[serde(default = "yes")]
    pub strict: bool,
    /// The value is a WhatsApp `wa_id` (default `false`).
    #[serde(default)]
    pub whatsapp: bool,
    /// Refuse requests without a number (default `true`).
    #[serde(default = "yes")]
    pub required: bool,
}

fn yes() -> bool {
    true
}

/// Where the number is, in configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields, untagged)]
pub enum SourceConfig {
    /// `{ path_segment = 1 }`
    PathSegment {
        /// 0-based index of the path segment.
        path_segment: usize,
    },
    /// `{ query = "phone" }`
    Query {
        /// The query parameter.
        query: String,
    },
    /// `{ header = "x-phone" }`
    Header {
        /// The header name.
        header: String,
    },
    /// `{ json = "/customer/phone", max_body = 65536 }`
    Json {
        /// The JSON pointer of the field.
        json: String,
        /// The largest body buffered, in bytes (default 64 KiB).
        #[serde(default)]
        max_body: Option<usize>,
    },
}

impl PhoneConfig {
    /// Builds the layer.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the field (`phone.default_region`,
    /// `phone.regions[1]`, `phone.source.header`, …) when a value is refused.
    pub fn into_layer(self) -> Result<PhoneLayer, ConfigError> {
        self.build().map_err(|e| e.within("phone"))
    }

    fn build(self) -> Result<PhoneLayer, ConfigError> {
        let mut layer = PhoneLayer::new(source(self.source)?);
        if let Some(code) = &self.default_region {
            layer = layer.default_region(region(code, "default_region")?);
        }
        let regions = self
            .regions
            .iter()
            .enumerate()
            .map(|(i, code)| region(code, &format!("regions[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let policy = PhonePolicy::default()
            .validity(self.policy)
            .regions(regions)
            .types(self.types);
        layer = layer.policy(policy);
        if !self.strict {
            layer = layer.strictness(Strictness::Lenient);
        }
        if self.whatsapp {
            layer = layer.whatsapp_ids();
        }
        if !self.required {
            layer = layer.optional();
        }
        Ok(layer)
    }
}

fn region(code: &str, field: &str) -> Result<Region, ConfigError> {
    Region::new(code).ok_or_else(|| ConfigError::new(field, "not a region with a numbering plan"))
}

fn source(config: SourceConfig) -> Result<PhoneSource, ConfigError> {
    Ok(match config {
        SourceConfig::PathSegment { path_segment } => PhoneSource::PathSegment(path_segment),
        SourceConfig::Query { query } if query.is_empty() => {
            return Err(ConfigError::new("source.query", "must not be empty"));
        }
        SourceConfig::Query { query } => PhoneSource::Query(query),
        SourceConfig::Header { header } => PhoneSource::Header(
            header
                .parse()
                .map_err(|_| ConfigError::new("source.header", "not a valid header name"))?,
        ),
        SourceConfig::Json { json, max_body } => {
            if !json.is_empty() && !json.starts_with('/') {
                return Err(ConfigError::new(
                    "source.json",
                    "a JSON pointer starts with '/'",
                ));
            }
            let max_body = max_body.unwrap_or(DEFAULT_MAX_BODY);
            if max_body == 0 {
                return Err(ConfigError::new("source.max_body", "must be above zero"));
            }
            PhoneSource::JsonBody {
                pointer: json,
                max_body,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<PhoneLayer, ConfigError> {
        toml::from_str::<PhoneConfig>(text)
            .expect("the TOML is well formed")
            .into_layer()
    }

    #[test]
    fn every_source_shape_is_read() {
        for source in [
            "{ header = \"x-phone\" }",
            "{ query = \"phone\" }",
            "{ path_segment = 2 }",
            "{ json = \"/customer/phone\", max_body = 1024 }",
            "{ json = \"/phone\" }",
        ] {
            assert!(parse(&format!("source = {source}")).is_ok(), "{source}");
        }
    }

    #[test]
    fn refused_values_name_their_field() {
        let field = |text: &str| parse(text).unwrap_err().field().to_owned();
        assert_eq!(
            field("regions = [\"GB\", \"XX\"]\nsource = { header = \"x\" }"),
            "phone.regions[1]"
        );
        assert_eq!(
            field("source = { header = \"bad header\" }"),
            "phone.source.header"
        );
        assert_eq!(field("source = { json = \"phone\" }"), "phone.source.json");
        assert_eq!(
            field("source = { json = \"/p\", max_body = 0 }"),
            "phone.source.max_body"
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(
            toml::from_str::<PhoneConfig>("source = { header = \"x\" }\nregion = \"GB\"").is_err()
        );
        assert!(toml::from_str::<PhoneConfig>("source = { header = \"x\", extra = 1 }").is_err());
    }
}
